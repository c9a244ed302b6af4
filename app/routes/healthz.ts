import { healthFacts } from '~/lib/health.server';
import { env } from '~/lib/env.server';

export async function loader() {
  const { dbOk, backlog, usageReporterLagSeconds } = healthFacts();
  return Response.json(
    { ok: dbOk, db: dbOk ? 'ok' : 'error', stripe: env().stripeMode, webhookBacklog: backlog, usageReporterLagSeconds },
    { status: dbOk ? 200 : 503, headers: { 'Cache-Control': 'no-store' } },
  );
}
