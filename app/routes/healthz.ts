import { healthFacts } from '~/lib/health.server';
import { env } from '~/lib/env.server';
import { isReady } from '~/lib/readiness.server';

export async function loader() {
  const { dbOk, backlog, usageReporterLagSeconds } = healthFacts();
  // Until start-up has finished (catalogue in place), the portal is `starting`, not ok.
  const ready = isReady();
  const ok = dbOk && ready;
  return Response.json(
    {
      ok,
      status: !dbOk ? 'error' : ready ? 'ok' : 'starting',
      db: dbOk ? 'ok' : 'error',
      stripe: env().stripeMode,
      webhookBacklog: backlog,
      usageReporterLagSeconds,
    },
    { status: ok ? 200 : 503, headers: { 'Cache-Control': 'no-store' } },
  );
}
