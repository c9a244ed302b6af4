/** Builds requests for route tests that call loaders and actions directly. */
export const TEST_ORIGIN = 'http://localhost:3999';

export function formRequest(
  path: string,
  fields: Record<string, string>,
  init: { cookie?: string; headers?: Record<string, string> } = {},
) {
  return new Request(TEST_ORIGIN + path, {
    method: 'POST',
    body: new URLSearchParams(fields),
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: TEST_ORIGIN,
      ...(init.cookie ? { Cookie: init.cookie } : {}),
      ...init.headers,
    },
  });
}

export function getRequest(path: string, init: { cookie?: string; headers?: Record<string, string> } = {}) {
  return new Request(TEST_ORIGIN + path, { headers: { ...(init.cookie ? { Cookie: init.cookie } : {}), ...init.headers } });
}

/** The `name=value` part of a Set-Cookie header, to send back as Cookie. */
export function cookieFrom(response: Response): string {
  const set = response.headers.get('set-cookie');
  if (!set) throw new Error('response set no cookie');
  return set.split(';')[0]!;
}

/** Runs a loader/action and returns the Response whether it was returned or thrown. */
export async function settle(fn: () => Promise<unknown>): Promise<{ response: Response | null; data: unknown }> {
  try {
    const result = await fn();
    if (result instanceof Response) return { response: result, data: null };
    if (result && typeof result === 'object' && 'type' in result && (result as { type: string }).type === 'DataWithResponseInit') {
      const r = result as unknown as { data: unknown; init: ResponseInit | null };
      return { response: new Response(null, r.init ?? undefined), data: r.data };
    }
    return { response: null, data: result };
  } catch (thrown) {
    if (thrown instanceof Response) return { response: thrown, data: null };
    throw thrown;
  }
}
