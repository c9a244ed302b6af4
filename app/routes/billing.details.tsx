import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { data } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { ActionSchema } from '~/forms/billing-details.server';
import { requireUser } from '~/auth/session.server';
import { addTaxId, billingDetails, removeTaxId, TAX_ID_TYPES, updateBillingDetails } from '~/billing/billing-details.server';
import { asBillingError, BillingError } from '~/billing/errors';
import { Alert, Field, PageHeader } from '~/components/app-shell';
import { fillNonce } from '~/components/billing/nonce';

type DetailsResult = { ok: true; intent: string; message: string } | { ok: false; intent: string; error: string; field?: string };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return { details: billingDetails({ userId: user.id, fallbackName: user.name, fallbackEmail: user.email }), taxIdTypes: TAX_ID_TYPES };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const parsed = ActionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return data<DetailsResult>(
      { ok: false, intent: 'invalid', error: issue?.message ?? 'Invalid request.', field: issue?.path[0]?.toString() },
      { status: 400 },
    );
  }
  const input = parsed.data;
  try {
    switch (input.intent) {
      case 'details':
        await updateBillingDetails({
          userId: user.id,
          name: input.name,
          email: input.email,
          address: {
            line1: input.line1 || null,
            line2: input.line2 || null,
            city: input.city || null,
            state: input.state || null,
            postal_code: input.postal_code || null,
            country: input.country || null,
          },
          nonce: input.nonce,
        });
        return data<DetailsResult>({ ok: true, intent: input.intent, message: 'Saved. Your next invoices show these details.' });
      case 'add_tax_id':
        await addTaxId({ userId: user.id, type: input.type, value: input.value, nonce: input.nonce });
        return data<DetailsResult>({ ok: true, intent: input.intent, message: 'Tax ID added. Your next invoices show it.' });
      case 'remove_tax_id':
        await removeTaxId({ userId: user.id, taxId: input.taxId, nonce: input.nonce });
        return data<DetailsResult>({ ok: true, intent: input.intent, message: 'Tax ID removed.' });
    }
  } catch (caught) {
    const error = asBillingError(caught);
    if (error instanceof BillingError)
      return data<DetailsResult>(
        { ok: false, intent: input.intent, error: error.message, field: error.code === 'invalid_details' ? 'value' : undefined },
        { status: error.status },
      );
    throw error;
  }
}

export default function BillingDetailsPage() {
  const { details, taxIdTypes } = useLoaderData<typeof loader>();
  const form = useFetcher<DetailsResult>({ key: 'billing-details' });
  const tax = useFetcher<DetailsResult>({ key: 'billing-tax-id' });
  const a = details.address;
  const formError = form.data && !form.data.ok ? form.data : null;
  const taxError = tax.data && !tax.data.ok ? tax.data : null;
  const errorFor = (field: string) => (formError?.field === field ? formError.error : undefined);

  return (
    <>
      <PageHeader title="Billing details" description="What Stripe prints on your invoices: the name, billing email, address and tax ID." />
      <section aria-labelledby="details-title" className="card">
        <h2 id="details-title" className="text-base font-semibold">
          Name and address
        </h2>
        <form.Form method="post" className="mt-4 grid max-w-2xl gap-4 sm:grid-cols-2" onSubmit={fillNonce}>
          <input type="hidden" name="intent" value="details" />
          <input type="hidden" name="nonce" defaultValue="" />
          <Field
            label="Name"
            name="name"
            autoComplete="organization"
            defaultValue={details.name}
            required
            maxLength={256}
            error={errorFor('name')}
          />
          <Field
            label="Billing email"
            name="email"
            type="email"
            autoComplete="email"
            defaultValue={details.email}
            required
            maxLength={512}
            error={errorFor('email')}
          />
          <Field
            label="Address"
            name="line1"
            autoComplete="address-line1"
            defaultValue={a.line1 ?? ''}
            maxLength={200}
            error={errorFor('line1')}
          />
          <Field
            label="Address line 2"
            name="line2"
            autoComplete="address-line2"
            defaultValue={a.line2 ?? ''}
            maxLength={200}
            error={errorFor('line2')}
          />
          <Field
            label="City"
            name="city"
            autoComplete="address-level2"
            defaultValue={a.city ?? ''}
            maxLength={100}
            error={errorFor('city')}
          />
          <Field
            label="State or region"
            name="state"
            autoComplete="address-level1"
            defaultValue={a.state ?? ''}
            maxLength={100}
            error={errorFor('state')}
          />
          <Field
            label="Postal code"
            name="postal_code"
            autoComplete="postal-code"
            defaultValue={a.postal_code ?? ''}
            maxLength={20}
            error={errorFor('postal_code')}
          />
          <Field
            label="Country"
            name="country"
            autoComplete="country"
            defaultValue={a.country ?? ''}
            maxLength={2}
            hint="Two-letter code, like US, GB or DE."
            error={errorFor('country')}
          />
          <div className="flex flex-wrap items-center gap-3 sm:col-span-2">
            <button type="submit" className="btn-primary" disabled={form.state !== 'idle'}>
              {form.state !== 'idle' ? 'Saving…' : 'Save details'}
            </button>
            {form.state === 'idle' && form.data?.ok ? <p className="text-sm text-emerald-700">{form.data.message}</p> : null}
          </div>
          {formError && !formError.field ? (
            <div className="sm:col-span-2">
              <Alert kind="error">{formError.error}</Alert>
            </div>
          ) : null}
        </form.Form>
      </section>

      <section aria-labelledby="tax-title" className="card">
        <h2 id="tax-title" className="text-base font-semibold">
          Tax ID
        </h2>
        {details.taxIds.length ? (
          <ul className="mt-3 divide-y divide-slate-100 text-sm" data-testid="tax-ids">
            {details.taxIds.map((t) => (
              <li key={t.id ?? t.value} className="flex flex-wrap items-center justify-between gap-3 py-2">
                <span>
                  <span className="font-medium">{t.value}</span>{' '}
                  <span className="text-slate-500">· {taxIdTypes[t.type as keyof typeof taxIdTypes] ?? t.type}</span>
                  {t.verification ? <span className="text-slate-500"> · {t.verification}</span> : null}
                </span>
                {t.id ? (
                  <tax.Form method="post" onSubmit={fillNonce}>
                    <input type="hidden" name="intent" value="remove_tax_id" />
                    <input type="hidden" name="taxId" value={t.id} />
                    <input type="hidden" name="nonce" defaultValue="" />
                    <button type="submit" className="btn-secondary" disabled={tax.state !== 'idle'} aria-label={`Remove tax ID ${t.value}`}>
                      Remove
                    </button>
                  </tax.Form>
                ) : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="mt-2 text-sm text-slate-600">No tax ID yet. Add one if your business needs it on invoices.</p>
        )}
        <tax.Form method="post" className="mt-4 flex max-w-2xl flex-wrap items-end gap-3" onSubmit={fillNonce}>
          <input type="hidden" name="intent" value="add_tax_id" />
          <input type="hidden" name="nonce" defaultValue="" />
          <div>
            <label htmlFor="tax-type" className="label">
              Kind
            </label>
            <select id="tax-type" name="type" className="input mt-1" defaultValue="eu_vat">
              {Object.entries(taxIdTypes).map(([type, label]) => (
                <option key={type} value={type}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div className="min-w-[12rem] flex-1">
            <Field label="Tax ID" name="value" maxLength={40} error={taxError ? taxError.error : undefined} />
          </div>
          <button type="submit" className="btn-secondary" disabled={tax.state !== 'idle'}>
            Add tax ID
          </button>
        </tax.Form>
        {tax.state === 'idle' && tax.data?.ok ? <p className="mt-2 text-sm text-emerald-700">{tax.data.message}</p> : null}
      </section>
    </>
  );
}
