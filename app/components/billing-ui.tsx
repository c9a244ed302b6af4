import { useEffect, useId, useRef } from 'react';
import type { Tone } from '~/billing/status';

const TONES: Record<Tone, string> = {
  green: 'bg-emerald-50 text-emerald-700 ring-emerald-600/20',
  blue: 'bg-sky-50 text-sky-700 ring-sky-600/20',
  amber: 'bg-amber-50 text-amber-800 ring-amber-600/20',
  red: 'bg-red-50 text-red-700 ring-red-600/20',
  gray: 'bg-slate-100 text-slate-700 ring-slate-500/20',
};

export function Badge({ tone, children }: { tone: Tone; children: React.ReactNode }) {
  return (
    <span
      data-testid="status-badge"
      className={`inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset ${TONES[tone]}`}
    >
      {children}
    </span>
  );
}

/** Stripe's `card.brand` values (and `display_brand` ones) as people write them. */
const BRANDS: Record<string, { name: string; short: string }> = {
  visa: { name: 'Visa', short: 'VISA' },
  mastercard: { name: 'Mastercard', short: 'MC' },
  amex: { name: 'American Express', short: 'AMEX' },
  american_express: { name: 'American Express', short: 'AMEX' },
  discover: { name: 'Discover', short: 'DISC' },
  diners: { name: 'Diners Club', short: 'DC' },
  diners_club: { name: 'Diners Club', short: 'DC' },
  jcb: { name: 'JCB', short: 'JCB' },
  unionpay: { name: 'UnionPay', short: 'UP' },
  china_union_pay: { name: 'UnionPay', short: 'UP' },
  cartes_bancaires: { name: 'Cartes Bancaires', short: 'CB' },
  eftpos_au: { name: 'eftpos Australia', short: 'EFT' },
  interac: { name: 'Interac', short: 'INT' },
  link: { name: 'Link', short: 'LINK' },
  card: { name: 'Card', short: 'CARD' },
  unknown: { name: 'Card', short: 'CARD' },
};

export function brandName(brand: string): string {
  return BRANDS[brand]?.name ?? brand.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

export function CardGlyph({ brand }: { brand: string }) {
  return (
    <span
      aria-hidden
      className="grid h-8 w-12 flex-none place-items-center rounded-md bg-slate-800 text-[10px] font-bold uppercase tracking-wide text-white"
    >
      {BRANDS[brand]?.short ?? 'CARD'}
    </span>
  );
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Tab from the last control goes to the first and Shift+Tab back again, never to the browser's own UI. */
function keepTabInside(event: React.KeyboardEvent<HTMLDialogElement>) {
  if (event.key !== 'Tab') return;
  const controls = [...event.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const first = controls[0];
  const last = controls.at(-1);
  if (!first || !last) return;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

/**
 * The one modal dialog: the native `<dialog>` opened with `showModal()`, so the browser moves focus in,
 * keeps Tab inside, closes on Escape and makes the rest of the page inert; `::backdrop` dims the whole
 * viewport. `open` is the page's state; a close the browser makes (Escape) is reported through
 * `onClose`. Focus goes back to the element that opened it, or to `#main` when that element is gone.
 */
export function Dialog({
  open,
  title,
  children,
  onClose,
}: {
  open: boolean;
  title: string;
  children: React.ReactNode;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = useId();
  const close = useRef(onClose);
  close.current = onClose;
  // Whether the close since the last showModal() has been handled: close events are queued, and a quick
  // Escape, Enter, Escape delivers two of them after the last close. The second must not move focus again.
  const closeHandled = useRef(true);

  // After every render, not only when `open` changes: Escape closes the element at once but reports it
  // in a queued `close` event, so a quick Escape then Enter on the opener renders `open` while the page
  // still thinks it is open, and only this check shows the dialog again.
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      closeHandled.current = false;
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const onDialogClose = () => {
      // Opened again before this event was delivered: the close it reports is over. Already handled: an
      // earlier open's event, delivered late.
      if (dialog.open || closeHandled.current) return;
      closeHandled.current = true;
      const back = opener.current;
      opener.current = null;
      // The opener may have gone (the action replaced it) or be disabled while the page is busy.
      const target = back && back.isConnected && !back.matches(':disabled') ? back : document.getElementById('main');
      target?.focus({ preventScroll: target !== back });
      close.current();
    };
    dialog.addEventListener('close', onDialogClose);
    return () => dialog.removeEventListener('close', onDialogClose);
  }, []);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onKeyDown={keepTabInside}
      className="w-[calc(100%-2rem)] max-w-md rounded-xl bg-white p-6 text-slate-900 shadow-xl backdrop:bg-slate-900/50"
    >
      {open ? (
        <>
          <h2 id={titleId} className="text-lg font-semibold">
            {title}
          </h2>
          <div className="mt-3">{children}</div>
        </>
      ) : null}
    </dialog>
  );
}
