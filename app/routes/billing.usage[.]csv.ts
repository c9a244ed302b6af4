import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '~/auth/session.server';
import { clock } from '~/lib/clock.server';
import { usageCsv } from '~/usage/summary.server';

/** `/billing/usage.csv`: this period's daily rows, `date,api_key,calls` (keys by their prefix). */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const body = usageCsv({ userId: user.id });
  return new Response(body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="usage-${clock.now().toISOString().slice(0, 10)}.csv"`,
      'Cache-Control': 'private, no-store',
    },
  });
}
