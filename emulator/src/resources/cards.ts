/**
 * Test-card behaviour table, keyed by card number (Stripe's test numbers).
 * - check: result of the card check done on attach / SetupIntent confirm (null = passes)
 * - charge: result of a charge attempt (null = succeeds)
 * - auth: 3-D Secure: 'none'; 'unless_setup' (4000002500003155: required on-session and off-session
 *   until the card has been set up with authentication, then off-session payments pass, as on
 *   Stripe); 'always' (4000002760003184: every payment needs authentication, even after setup)
 */
interface Decline {
  code: string;
  decline_code?: string;
  message: string;
}

export interface TestCard {
  number: string;
  brand: 'visa' | 'mastercard' | 'amex' | 'discover';
  funding: 'credit' | 'debit' | 'prepaid';
  country: string;
  check: Decline | null;
  charge: Decline | null;
  auth: 'none' | 'unless_setup' | 'always';
}

const generic: Decline = { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
const insufficient: Decline = { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' };
const expired: Decline = { code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' };
const cvc: Decline = { code: 'incorrect_cvc', decline_code: 'incorrect_cvc', message: "Your card's security code is incorrect." };
const processing: Decline = {
  code: 'processing_error',
  decline_code: 'processing_error',
  message: 'An error occurred while processing your card. Try again in a little bit.',
};
const lost: Decline = { code: 'card_declined', decline_code: 'lost_card', message: 'Your card was declined.' };
const stolen: Decline = { code: 'card_declined', decline_code: 'stolen_card', message: 'Your card was declined.' };

function card(number: string, over: Partial<TestCard> = {}): TestCard {
  return { number, brand: 'visa', funding: 'credit', country: 'US', check: null, charge: null, auth: 'none', ...over };
}

const TEST_CARDS: Record<string, TestCard> = Object.fromEntries(
  [
    card('4242424242424242'),
    card('4000056655665556', { funding: 'debit' }),
    card('5555555555554444', { brand: 'mastercard' }),
    card('2223003122003222', { brand: 'mastercard' }),
    card('5200828282828210', { brand: 'mastercard', funding: 'debit' }),
    card('378282246310005', { brand: 'amex' }),
    card('6011111111111117', { brand: 'discover' }),
    card('4000002500003155', { auth: 'unless_setup' }),
    card('4000002760003184', { auth: 'always' }),
    card('4000000000003220', { auth: 'unless_setup' }),
    card('4000000000009995', { charge: insufficient }),
    card('4000000000000002', { check: generic, charge: generic }),
    card('4000000000000341', { charge: generic }),
    card('4000000000000069', { check: expired, charge: expired }),
    card('4000000000000127', { check: cvc, charge: cvc }),
    card('4000000000000119', { charge: processing }),
    card('4000000000009987', { check: lost, charge: lost }),
    card('4000000000009979', { check: stolen, charge: stolen }),
    card('4000000000000077'),
  ].map((c) => [c.number, c]),
);

/** Test payment-method ids (and token ids after `tok_`) → card number. */
const TEST_PM_CARDS: Record<string, string> = {
  visa: '4242424242424242',
  visa_debit: '4000056655665556',
  mastercard: '5555555555554444',
  amex: '378282246310005',
  discover: '6011111111111117',
  chargeDeclined: '4000000000000002',
  chargeDeclinedInsufficientFunds: '4000000000009995',
  chargeDeclinedExpiredCard: '4000000000000069',
  chargeDeclinedIncorrectCvc: '4000000000000127',
  chargeDeclinedProcessingError: '4000000000000119',
  chargeDeclinedLostCard: '4000000000009987',
  chargeDeclinedStolenCard: '4000000000009979',
  chargeCustomerFail: '4000000000000341',
  authenticationRequired: '4000002760003184',
  authenticationRequiredOnSetup: '4000002500003155',
  threeDSecure2Required: '4000000000003220',
};

/** 'pm_card_visa' / 'tok_visa' → card number, else null. */
export function testIdToNumber(id: string): string | null {
  const m = /^(?:pm_card_|tok_)([A-Za-z_]+?)$/.exec(id);
  if (!m) return null;
  return TEST_PM_CARDS[m[1]!] ?? null;
}

export function luhnValid(num: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = num.length - 1; i >= 0; i--) {
    let d = num.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/** Any other valid number behaves like 4242 with a brand guessed from the prefix. */
export function cardFor(number: string): TestCard {
  const known = TEST_CARDS[number];
  if (known) return known;
  const brand = /^3[47]/.test(number)
    ? 'amex'
    : /^(5[1-5]|2[2-7])/.test(number)
      ? 'mastercard'
      : /^6(011|5)/.test(number)
        ? 'discover'
        : 'visa';
  return card(number, { brand });
}
