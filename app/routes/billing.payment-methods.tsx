import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { data } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { useState } from 'react';
import { ActionSchema } from '~/forms/billing-payment-methods.server';
import { requireUser } from '~/auth/session.server';
import { asBillingError, BillingError } from '~/billing/errors';
import { completeAddCard, listCards, makeDefaultCard, removeCard, startAddCard } from '~/billing/payment-methods.server';
import { HeaderWithStatus } from '~/components/app-shell';
import { CardList, type CardActionResult } from '~/components/billing/card-list';
import { newNonce } from '~/components/billing/nonce';
import { PaymentForm } from '~/components/payment-form';
import { env } from '~/lib/env.server';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return { cards: listCards({ userId: user.id }), publishableKey: env().STRIPE_PUBLISHABLE_KEY ?? null, appUrl: env().APP_URL };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const parsed = ActionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success)
    return data<CardActionResult>(
      { ok: false, intent: 'invalid', error: parsed.error.issues[0]?.message ?? 'Invalid request.' },
      { status: 400 },
    );
  const input = parsed.data;
  try {
    switch (input.intent) {
      case 'add_start':
        return data<CardActionResult>({
          ok: true,
          intent: input.intent,
          message: null,
          step: await startAddCard({ userId: user.id, nonce: input.nonce }),
        });
      case 'add_complete':
        await completeAddCard({ userId: user.id });
        return data<CardActionResult>({ ok: true, intent: input.intent, message: 'Your card is saved.' });
      case 'make_default':
        await makeDefaultCard({ userId: user.id, cardId: input.card, nonce: input.nonce });
        return data<CardActionResult>({
          ok: true,
          intent: input.intent,
          message: 'That card is now your default. Your subscription and invoices use it from now on.',
        });
      case 'remove':
        await removeCard({ userId: user.id, cardId: input.card, nonce: input.nonce });
        return data<CardActionResult>({ ok: true, intent: input.intent, message: 'The card is removed.' });
    }
  } catch (caught) {
    const error = asBillingError(caught);
    if (error instanceof BillingError)
      return data<CardActionResult>({ ok: false, intent: input.intent, error: error.message }, { status: error.status });
    throw error;
  }
}

export default function PaymentMethodsPage() {
  const { cards, publishableKey, appUrl } = useLoaderData<typeof loader>();
  const add = useFetcher<CardActionResult>({ key: 'card-add' });
  const complete = useFetcher<CardActionResult>({ key: 'card-add-complete' });
  const manage = useFetcher<CardActionResult>({ key: 'card-manage' });
  const [latest, setLatest] = useState<'add' | 'complete' | 'manage' | null>(null);
  const [closed, setClosed] = useState<string | null>(null);
  const offered = add.data?.ok && add.data.step ? add.data.step : null;
  const step = offered && offered.clientSecret !== closed ? offered : null;
  const answer = latest === 'add' ? add.data : latest === 'complete' ? complete.data : latest === 'manage' ? manage.data : undefined;
  const busy = add.state !== 'idle' || complete.state !== 'idle' || manage.state !== 'idle';

  return (
    <>
      <HeaderWithStatus
        title="Payment methods"
        description="The cards we charge for your subscription, invoices and purchases."
        testId="cards-status"
        answer={answer}
      />
      <section aria-labelledby="cards-title" className="card p-0">
        <div className="flex flex-wrap items-center justify-between gap-3 px-6 pt-5">
          <h2 id="cards-title" className="text-base font-semibold">
            Saved cards
          </h2>
          {publishableKey && !step ? (
            <button
              type="button"
              className="btn-primary"
              disabled={busy}
              onClick={() => {
                setLatest('add');
                add.submit({ intent: 'add_start', nonce: newNonce() }, { method: 'post' });
              }}
            >
              Add card
            </button>
          ) : null}
        </div>
        {step && publishableKey ? (
          <div className="max-w-xl px-6 pt-4">
            <PaymentForm
              key={step.clientSecret}
              publishableKey={publishableKey}
              step={step}
              returnUrl={`${appUrl}/billing/payment-methods`}
              submitLabel="Save card"
              setupNote="The card is saved for later payments. You are not charged now."
              cancelLabel="Cancel"
              onCancel={() => setClosed(step.clientSecret)}
              onConfirmed={() => {
                setClosed(step.clientSecret);
                setLatest('complete');
                complete.submit({ intent: 'add_complete' }, { method: 'post' });
              }}
            />
          </div>
        ) : null}
        {cards.length === 0 ? (
          <p className="px-6 pb-6 pt-3 text-sm text-slate-600" data-testid="cards-empty">
            No saved cards yet. Add one to pay invoices and purchases without typing it again.
          </p>
        ) : (
          <div className="mt-3">
            <CardList cards={cards} onSubmitted={() => setLatest('manage')} />
          </div>
        )}
      </section>
    </>
  );
}
