import type Stripe from 'stripe';
import {
  applyMetadata,
  base62,
  errors,
  isServedVersion,
  p,
  listParams,
  unsupportedVersionError,
  type Ctx,
  type EmulatorApp,
} from '../core';
import { deleted } from './shared';

const urlParam = p.string({ maxLength: 5000 });

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw errors.invalidParam('url', `Invalid URL: ${url}`, 'url_invalid');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw errors.invalidParam('url', `Invalid URL: ${url}`, 'url_invalid');
}

export function createWebhookEndpoint(
  ctx: Ctx,
  params: {
    url: string;
    enabled_events: string[];
    description?: string;
    metadata?: Record<string, string | null> | null;
    api_version?: string;
  },
  opts: { id?: string; secret?: string; emit?: boolean } = {},
): Stripe.WebhookEndpoint {
  const secret = opts.secret ?? `whsec_${base62(32)}`;
  const ep: Stripe.WebhookEndpoint = {
    id: opts.id ?? ctx.newId('we'),
    object: 'webhook_endpoint',
    api_version: params.api_version ?? null,
    application: null,
    created: ctx.now(),
    description: params.description ?? null,
    enabled_events: params.enabled_events,
    livemode: false,
    metadata: applyMetadata({}, params.metadata),
    status: 'enabled',
    url: params.url,
  };
  ctx.store.put('webhook_endpoint', ep);
  ctx.store.setInternal(ep.id, { secret });
  return { ...ep, secret };
}

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'webhook_endpoint', prefix: 'we', displayName: 'webhook endpoint' });

  app.post(
    '/v1/webhook_endpoints',
    p.object({
      url: urlParam.required(),
      enabled_events: p.array(p.string()).required(),
      description: p.string().emptyable(),
      metadata: p.metadata(),
      api_version: p.string(),
      connect: p.boolean(),
    }),
    (ctx, params) => {
      checkUrl(params.url);
      if (params.api_version !== undefined && !isServedVersion(params.api_version))
        throw unsupportedVersionError(params.api_version, 'api_version');
      if (params.enabled_events.length === 0)
        throw errors.invalidParam('enabled_events', 'enabled_events must contain at least one event type');
      return createWebhookEndpoint(ctx, { ...params, description: params.description ?? undefined });
    },
  );

  app.get('/v1/webhook_endpoints/:id', p.object({}), (ctx, _params, req) => ctx.store.require('webhook_endpoint', req.pathParams.id!));

  app.post(
    '/v1/webhook_endpoints/:id',
    p.object({
      url: urlParam,
      enabled_events: p.array(p.string()),
      description: p.string().emptyable(),
      metadata: p.metadata(),
      disabled: p.boolean(),
    }),
    (ctx, params, req) => {
      const ep = ctx.store.require('webhook_endpoint', req.pathParams.id!);
      if (params.url !== undefined) {
        checkUrl(params.url);
        ep.url = params.url;
      }
      if (params.enabled_events) ep.enabled_events = params.enabled_events;
      if (params.description !== undefined) ep.description = params.description;
      if (params.metadata !== undefined) ep.metadata = applyMetadata(ep.metadata, params.metadata);
      if (params.disabled !== undefined) ep.status = params.disabled ? 'disabled' : 'enabled';
      return ctx.store.put('webhook_endpoint', ep);
    },
  );

  app.del('/v1/webhook_endpoints/:id', p.object({}), (ctx, _params, req) => {
    const ep = ctx.store.require('webhook_endpoint', req.pathParams.id!);
    ctx.store.delete('webhook_endpoint', ep.id);
    return deleted('webhook_endpoint', ep.id);
  });

  app.get('/v1/webhook_endpoints', p.object({ ...listParams }), (ctx, params) =>
    ctx.list('webhook_endpoint', params, {}, '/v1/webhook_endpoints'),
  );
}
