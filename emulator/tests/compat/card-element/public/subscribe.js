// The sample's client: create the customer, then the subscription, then confirm its first payment
// with the card element (confirmCardPayment), showing card errors from Stripe.js.
/* global Stripe, fetch, document, window */
window.mountAndSubscribe = async function (createCard) {
  const { publishableKey, priceId } = await fetch('/config').then((r) => r.json());
  const stripe = Stripe(publishableKey);
  const elements = stripe.elements();
  const card = createCard(elements);
  const show = (sel, text) => (document.querySelector(sel).textContent = text);
  card.on('change', (event) => show('#card-errors', event.error ? event.error.message : ''));
  const post = (path, body) =>
    fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());

  document.querySelector('#subscribe-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    document.querySelector('#submit').disabled = true;
    const { customer } = await post('/create-customer', { email: document.querySelector('#email').value });
    const { subscriptionId, clientSecret, error } = await post('/create-subscription', { customerId: customer.id, priceId });
    if (error) {
      show('#card-errors', error.message);
      return;
    }
    const result = await stripe.confirmCardPayment(clientSecret, {
      payment_method: { card, billing_details: { name: document.querySelector('#name').value } },
    });
    if (result.error) {
      show('#card-errors', result.error.message);
      document.querySelector('#submit').disabled = false;
      return;
    }
    document.querySelector('#result').dataset.subscription = subscriptionId;
    show('#result', 'Payment ' + result.paymentIntent.status + ': subscription ' + subscriptionId);
  });
};
