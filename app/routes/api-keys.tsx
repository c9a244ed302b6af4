import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useEffect, useState } from 'react';
import { ActionSchema } from '~/forms/api-keys.server';
import { createApiKey, listApiKeys, revokeApiKey } from '~/auth/api-keys.server';
import { requireUser } from '~/auth/session.server';
import { Alert, Field, PageHeader } from '~/components/app-shell';
import { Dialog } from '~/components/billing-ui';
import { CopyButton } from '~/components/copy-button';

export const meta: MetaFunction = () => [{ title: 'API keys · Acme Cloud' }];

const MAX_ACTIVE_KEYS = 10;

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return {
    keys: listApiKeys({ userId: user.id }).map((k) => ({
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      createdAt: k.createdAt.toISOString(),
      lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
      revokedAt: k.revokedAt?.toISOString() ?? null,
    })),
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const form = Object.fromEntries(await request.formData());
  const parsed = ActionSchema.safeParse(form);
  if (!parsed.success) {
    return data({ ok: false as const, error: parsed.error.issues[0]?.message ?? 'Invalid request.', created: null }, { status: 400 });
  }
  if (parsed.data.intent === 'create') {
    const active = listApiKeys({ userId: user.id }).filter((k) => !k.revokedAt).length;
    if (active >= MAX_ACTIVE_KEYS) {
      return data(
        { ok: false as const, error: `You can have at most ${MAX_ACTIVE_KEYS} active keys. Revoke one first.`, created: null },
        { status: 400 },
      );
    }
    const { key, apiKey } = createApiKey({ userId: user.id, name: parsed.data.name });
    return data({ ok: true as const, error: null, created: { key, name: apiKey.name } });
  }
  if (!revokeApiKey({ id: parsed.data.keyId, userId: user.id })) {
    return data({ ok: false as const, error: 'That key does not exist or is already revoked.', created: null }, { status: 404 });
  }
  return data({ ok: true as const, error: null, created: null });
}

const fmt = (iso: string) => new Date(iso).toLocaleDateString('en-US', { dateStyle: 'medium' });

export default function ApiKeys() {
  const { keys } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle';
  // The key being revoked: asked in a dialog, which stays open until the revocation has finished
  // ("sent" → "busy" while the post and the reload run → closed; focus then goes to the page).
  const [revoking, setRevoking] = useState<{ id: string; name: string; phase: 'asking' | 'sent' | 'busy' } | null>(null);
  useEffect(() => {
    if (!revoking || revoking.phase === 'asking') return;
    if (navigation.state !== 'idle') {
      if (revoking.phase === 'sent') setRevoking({ ...revoking, phase: 'busy' });
    } else if (revoking.phase === 'busy') {
      setRevoking(null);
    }
  }, [navigation.state, revoking]);
  return (
    <div className="mx-auto max-w-4xl space-y-6 px-4 py-10 sm:px-6">
      <PageHeader title="API keys" description="Keys authenticate calls to the Acme API. Calls are metered on your plan." />
      {result?.created ? (
        <div className="rounded-xl bg-emerald-50 p-4 ring-1 ring-emerald-200" role="status">
          <p className="text-sm font-semibold text-emerald-900">
            Key “{result.created.name}” created. Copy it now: it will not be shown again.
          </p>
          <code
            data-testid="new-api-key"
            className="mt-2 block select-all break-all rounded bg-white px-3 py-2 font-mono text-sm ring-1 ring-emerald-200"
          >
            {result.created.key}
          </code>
          <CopyButton text={result.created.key} label={`Copy the key “${result.created.name}”`} />
        </div>
      ) : null}
      {result?.error ? <Alert kind="error">{result.error}</Alert> : null}
      <div className="card">
        <Form method="post" className="flex flex-wrap items-end gap-3">
          <input type="hidden" name="intent" value="create" />
          <div className="min-w-[16rem] flex-1">
            <Field label="Key name" name="name" hint="For example “Production server”." required maxLength={60} />
          </div>
          <button type="submit" className="btn-primary" disabled={busy}>
            Create key
          </button>
        </Form>
      </div>
      <div className="card relative overflow-x-auto p-0" role="region" aria-label="Your API keys" tabIndex={0}>
        {keys.length === 0 ? (
          <p className="p-6 text-sm text-slate-600">No keys yet. Create one above to call the API.</p>
        ) : (
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" className="px-4 py-3">
                  Name
                </th>
                <th scope="col" className="px-4 py-3">
                  Key
                </th>
                <th scope="col" className="px-4 py-3">
                  Created
                </th>
                <th scope="col" className="px-4 py-3">
                  Last used
                </th>
                <th scope="col" className="px-4 py-3">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {keys.map((k) => (
                <tr key={k.id} className={k.revokedAt ? 'text-slate-500' : ''}>
                  <td className="px-4 py-3 font-medium">{k.name}</td>
                  <td className="px-4 py-3 font-mono">{k.prefix}…</td>
                  <td className="px-4 py-3">{fmt(k.createdAt)}</td>
                  <td className="px-4 py-3">{k.lastUsedAt ? fmt(k.lastUsedAt) : 'Never'}</td>
                  <td className="px-4 py-3 text-right">
                    {k.revokedAt ? (
                      <span className="text-xs">Revoked {fmt(k.revokedAt)}</span>
                    ) : (
                      <button
                        type="button"
                        className="text-sm font-medium text-red-600 hover:underline"
                        disabled={busy}
                        aria-label={`Revoke ${k.name}`}
                        onClick={() => setRevoking({ id: k.id, name: k.name, phase: 'asking' })}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <Dialog open={revoking !== null} title="Revoke this API key?" onClose={() => setRevoking(null)}>
        <Form
          method="post"
          className="space-y-4"
          onSubmit={() => setRevoking((current) => (current ? { ...current, phase: 'sent' } : null))}
        >
          <input type="hidden" name="intent" value="revoke" />
          <input type="hidden" name="keyId" value={revoking?.id ?? ''} />
          <p className="text-sm text-slate-700">
            Apps using <strong>“{revoking?.name}”</strong> stop working at once: their calls are refused. This cannot be undone.
          </p>
          <div className="flex justify-end gap-3">
            <button type="button" className="btn-secondary" onClick={() => setRevoking(null)}>
              Keep the key
            </button>
            <button type="submit" className="btn-danger" disabled={busy}>
              Revoke key
            </button>
          </div>
        </Form>
      </Dialog>
    </div>
  );
}
