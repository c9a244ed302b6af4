import { useFetcher } from '@remix-run/react';
import type { CardView } from '~/billing/payment-methods.server';
import { Badge, brandName, CardGlyph } from '~/components/billing-ui';
import { fillNonce } from './nonce';

export type CardActionResult =
  | {
      ok: true;
      intent: string;
      message: string | null;
      step?: { intentType: 'setup'; clientSecret: string; amountDue: 0; currency: string } | null;
    }
  | { ok: false; intent: string; error: string };

function CardButton({
  card,
  intent,
  label,
  className,
  onSubmitted,
}: {
  card: CardView;
  intent: string;
  label: string;
  className: string;
  onSubmitted: () => void;
}) {
  const fetcher = useFetcher<CardActionResult>({ key: 'card-manage' });
  return (
    <fetcher.Form method="post" onSubmit={(e) => (fillNonce(e), onSubmitted())}>
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="card" value={card.id} />
      <input type="hidden" name="nonce" defaultValue="" />
      <button
        type="submit"
        className={className}
        disabled={fetcher.state !== 'idle'}
        aria-label={`${label} ${brandName(card.brand)} ending in ${card.last4}`}
      >
        {label}
      </button>
    </fetcher.Form>
  );
}

/** The saved cards: brand, last 4, expiry, Default / Expires soon, and what can be done with each. */
export function CardList({ cards, onSubmitted }: { cards: CardView[]; onSubmitted: () => void }) {
  return (
    <ul className="divide-y divide-slate-100" data-testid="card-list">
      {cards.map((card) => (
        <li
          key={card.id}
          data-testid="card-row"
          data-last4={card.last4}
          className="flex flex-wrap items-center gap-x-4 gap-y-2 px-6 py-4 text-sm"
        >
          <CardGlyph brand={card.brand} />
          <div className="min-w-0 flex-1">
            <p className="font-medium text-slate-900">
              {brandName(card.brand)} ending in {card.last4}
            </p>
            <p className="text-xs text-slate-500">
              {card.expMonth && card.expYear ? `Expires ${String(card.expMonth).padStart(2, '0')}/${card.expYear}` : 'No expiry date'}
            </p>
          </div>
          <div className="flex flex-wrap gap-2">
            {card.isDefault ? <Badge tone="blue">Default</Badge> : null}
            {card.expired ? <Badge tone="red">Expired</Badge> : card.expiresSoon ? <Badge tone="amber">Expires soon</Badge> : null}
          </div>
          <div className="flex w-full justify-end gap-2 sm:w-auto">
            {!card.isDefault ? (
              <CardButton card={card} intent="make_default" label="Make default" className="btn-secondary" onSubmitted={onSubmitted} />
            ) : null}
            <CardButton card={card} intent="remove" label="Remove" className="btn-secondary text-red-700" onSubmitted={onSubmitted} />
          </div>
        </li>
      ))}
    </ul>
  );
}
