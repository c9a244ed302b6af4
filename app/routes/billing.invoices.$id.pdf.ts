import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '~/auth/session.server';
import { asBillingError, BillingError } from '~/billing/errors';
import { fetchInvoicePdf } from '~/billing/invoices.server';

/** The invoice's PDF, fetched from Stripe after the owner check and streamed through. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const id = params.id ?? '';
  if (!/^in_[A-Za-z0-9]{1,128}$/.test(id)) throw new Response('That invoice was not found.', { status: 404 });
  try {
    const pdf = await fetchInvoicePdf({ userId: user.id, invoiceId: id });
    if (!pdf) throw new Response('That invoice was not found.', { status: 404 });
    return new Response(pdf.body, {
      headers: {
        'Content-Type': 'application/pdf',
        'Content-Disposition': `attachment; filename="${pdf.filename}"`,
        'Cache-Control': 'private, no-store',
        ...(pdf.length ? { 'Content-Length': pdf.length } : {}),
      },
    });
  } catch (caught) {
    const error = asBillingError(caught);
    if (error instanceof BillingError) throw new Response(error.message, { status: error.status });
    throw error;
  }
}
