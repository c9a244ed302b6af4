import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data } from '@remix-run/node';
import { Link, useFetcher, useLoaderData } from '@remix-run/react';
import { InvoiceIdSchema, ActionSchema } from '~/forms/billing-invoices-id.server';
import { requireUser } from '~/auth/session.server';
import { asBillingError, BillingError } from '~/billing/errors';
import { completeInvoicePayment, invoiceDetail, payInvoiceWithSavedCard, startInvoicePayment } from '~/billing/invoices.server';
import { getBillingState } from '~/billing/queries.server';
import { Alert } from '~/components/app-shell';
import { brandName } from '~/components/billing-ui';
import { InvoiceDetailView } from '~/components/billing/invoice-detail';
import { InvoicePay, type InvoicePayResult } from '~/components/billing/invoice-pay';
import { env } from '~/lib/env.server';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Invoice ${data?.invoice.number ?? ''} · Billing · Acme Cloud` }];

/** Stripe invoice ids; anything else cannot be one of the user's invoices. */

function notFound(): never {
  throw new Response('That invoice was not found.', { status: 404 });
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const id = InvoiceIdSchema.safeParse(params.id);
  if (!id.success) notFound();
  const invoice = invoiceDetail({ userId: user.id, invoiceId: id.data });
  if (!invoice) notFound();
  const cards = invoice.canPay
    ? getBillingState({ userId: user.id }).paymentMethods.map((pm) => ({
        id: pm.id,
        label: `${brandName(pm.brand ?? pm.type)} ending in ${pm.last4 ?? '····'}`,
        isDefault: pm.isDefault,
      }))
    : [];
  return { invoice, cards, publishableKey: env().STRIPE_PUBLISHABLE_KEY ?? null, appUrl: env().APP_URL };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const id = InvoiceIdSchema.safeParse(params.id);
  if (!id.success || !invoiceDetail({ userId: user.id, invoiceId: id.data })) notFound();
  const invoiceId = id.data;
  const parsed = ActionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success)
    return data<InvoicePayResult>({ ok: false, error: parsed.error.issues[0]?.message ?? 'Invalid request.' }, { status: 400 });
  try {
    switch (parsed.data.intent) {
      case 'pay_start':
        return data<InvoicePayResult>({ ok: true, step: await startInvoicePayment({ userId: user.id, invoiceId }), message: null });
      case 'pay_saved':
        await payInvoiceWithSavedCard({ userId: user.id, invoiceId, paymentMethodId: parsed.data.paymentMethod, nonce: parsed.data.nonce });
        return data<InvoicePayResult>({ ok: true, step: null, message: 'Payment received. Thank you!' });
      case 'pay_complete': {
        const { status } = await completeInvoicePayment({ userId: user.id, invoiceId });
        return data<InvoicePayResult>({
          ok: true,
          step: null,
          message:
            status === 'paid'
              ? 'Payment received. Thank you!'
              : 'We are waiting for your bank to confirm the payment. This page updates when it does.',
        });
      }
    }
  } catch (caught) {
    const error = asBillingError(caught);
    if (error instanceof BillingError) return data<InvoicePayResult>({ ok: false, error: error.message }, { status: error.status });
    throw error;
  }
}

export default function InvoicePage() {
  const { invoice, cards, publishableKey, appUrl } = useLoaderData<typeof loader>();
  // Once paid, the pay box goes away with the reload: its answer stays as a banner.
  const saved = useFetcher<InvoicePayResult>({ key: `invoice-pay-saved:${invoice.id}` });
  const complete = useFetcher<InvoicePayResult>({ key: `invoice-pay-complete:${invoice.id}` });
  const paidMessage = !invoice.canPay ? [complete.data, saved.data].find((d) => d?.ok && d.message) : undefined;
  return (
    <>
      <p className="text-sm">
        <Link to="/billing/invoices" className="font-medium text-brand-700 hover:underline">
          ← All invoices
        </Link>
      </p>
      {paidMessage?.ok ? <Alert kind="success">{paidMessage.message}</Alert> : null}
      {invoice.canPay ? (
        <InvoicePay
          invoice={invoice}
          cards={cards}
          publishableKey={publishableKey}
          returnUrl={`${appUrl}/billing/invoices/${invoice.id}`}
        />
      ) : null}
      <InvoiceDetailView invoice={invoice} />
    </>
  );
}
