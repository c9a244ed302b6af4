/**
 * Issue #16, bad requests, against the built portal: a non-form body on any action is a 415/400 with a
 * message (never a 500), an over-long body is a 413 chunked or not, TRACE is a 405, a malformed Host a
 * 400; then a corpus of malformed requests (bodies, methods, headers, encodings) to every route and
 * action, none of which may answer 500.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, signUp, startPortal, type Portal } from './portal';

let portal: Portal;
let cookie: string;

beforeAll(async () => {
  // TRUST_PROXY so the corpus's thousands of requests can come from many addresses (and X-Forwarded-*
  // headers get parsed too): the per-address limits then answer 429, not hide what a route would do.
  portal = await startPortal({ TRUST_PROXY: '1' });
  ({ cookie } = await signUp(portal.url));
});
afterAll(async () => {
  await portal?.stop();
  // Whatever the corpus sent, the server never logged a failed request.
  expect(portal?.output() ?? '').not.toMatch(/request failed|Internal Server Error/);
});

interface Sent {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** node:http, which sends any method token and any header (fetch refuses TRACE, CONNECT, …). */
function send(method: string, path: string, headers: Record<string, string | string[]> = {}, body?: Buffer | string): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: portal.port,
        method,
        path,
        headers: { Host: `localhost:${portal.port}`, Connection: 'close', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

const ACTIONS = [
  '/login',
  '/signup',
  '/logout',
  '/account',
  '/forgot-password',
  '/reset-password',
  '/api-keys',
  '/billing',
  '/billing?index',
  '/billing/plans',
  '/billing/invoices/in_nope',
  '/dashboard',
];

describe('non-form bodies on actions', () => {
  const origin = () => ({ Origin: portal.url, Cookie: cookie });
  const cases: [string, Record<string, string>, string, number, RegExp][] = [
    ['JSON', { 'Content-Type': 'application/json' }, '{"email":"a@b.c","password":"x"}', 415, /application\/json/],
    ['text/plain', { 'Content-Type': 'text/plain' }, 'email=a@b.c', 415, /text\/plain/],
    ['XML', { 'Content-Type': 'application/xml' }, '<?xml version="1.0"?><a>&lt;</a>', 415, /application\/xml/],
    ['no Content-Type', {}, 'email=a@b.c&password=x', 415, /no Content-Type/],
    [
      'broken multipart',
      { 'Content-Type': 'multipart/form-data; boundary=XYZ' },
      '--XYZ\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.c\r\n--XY',
      400,
      /could not be read/,
    ],
    ['multipart without boundary', { 'Content-Type': 'multipart/form-data' }, 'whatever', 400, /could not be read/],
  ];
  for (const [what, headers, body, status, message] of cases) {
    it(`${what} is a ${status} with a message on every action`, async () => {
      for (const path of ACTIONS) {
        const res = await send('POST', path, { ...origin(), ...headers }, body);
        expect(res.status, `${what} → ${path}`).toBe(status);
        expect(res.body, path).toMatch(message);
      }
    });
  }

  it('a real multipart form still works', async () => {
    const form = new FormData();
    form.set('email', 'nobody@example.com');
    const res = await fetch(`${portal.url}/forgot-password`, { method: 'POST', headers: { Origin: portal.url }, body: form });
    expect(res.status).toBe(200);
  });
});

describe('body size', () => {
  const big = Buffer.alloc(MB() + 1024, 'a');
  function MB() {
    return 1024 * 1024;
  }
  it('a chunked body over 1 MiB is a 413, like the same body with a Content-Length', async () => {
    for (const path of ['/signup', '/login', '/account']) {
      const chunked = await send(
        'POST',
        path,
        { Origin: portal.url, 'Content-Type': 'application/x-www-form-urlencoded', 'Transfer-Encoding': 'chunked' },
        big,
      );
      expect(chunked.status, path).toBe(413);
      expect(chunked.body).toMatch(/too large/);
      const sized = await send(
        'POST',
        path,
        { Origin: portal.url, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(big.length) },
        big,
      );
      expect(sized.status, path).toBe(413);
    }
    // and the server still answers afterwards
    expect((await fetch(`${portal.url}/healthz`)).status).toBe(200);
  });
});

describe('methods and Host', () => {
  it('TRACE (and other methods the app does not serve) are 405 with Allow; OPTIONS is 204', async () => {
    for (const method of ['TRACE', 'CONNECT', 'PROPFIND']) {
      const res =
        method === 'CONNECT'
          ? await rawRequest(portal.port, `CONNECT localhost:${portal.port} HTTP/1.1\nHost: localhost\nConnection: close`)
          : await send(method, '/');
      expect(res.status, method).toBe(405);
      expect(res.headers['allow'], method).toBe('GET, HEAD, POST');
    }
    const options = await send('OPTIONS', '/login');
    expect(options.status).toBe(204);
    // A token Node's HTTP parser does not know never reaches the app: a plain 400, same headers.
    const unknown = await rawRequest(portal.port, 'FOO / HTTP/1.1\nHost: localhost\nConnection: close');
    expect(unknown.status).toBe(400);
    expect(unknown.headers['x-content-type-options']).toBe('nosniff');
  });

  it('a malformed Host header is a 400', async () => {
    for (const host of ['exa mple.com', '[::1', 'a:b:c', 'host:99999999', 'host/path', '%zz', 'ho\u00e9st', '..', 'x'.repeat(300)]) {
      const res = await rawRequest(portal.port, `GET / HTTP/1.1\nHost: ${host}\nConnection: close`);
      expect(res.status, JSON.stringify(host)).toBe(400);
    }
    const missing = await rawRequest(portal.port, 'GET / HTTP/1.1\nConnection: close');
    expect(missing.status).toBe(400);
    const badForwarded = await send('GET', '/', { 'X-Forwarded-Host': 'bad host' });
    expect(badForwarded.status).toBe(400);
  });
});

describe('a corpus of malformed requests', () => {
  const paths = [
    '/',
    '/login',
    '/signup',
    '/logout',
    '/account',
    '/forgot-password',
    '/reset-password',
    '/reset-password?token=x',
    '/dashboard',
    '/billing',
    '/billing?index',
    '/billing/plans',
    '/billing/usage',
    '/billing/usage.csv',
    '/billing/invoices',
    '/billing/invoices?status=%FF&cursor=%00',
    '/billing/invoices/in_nope',
    '/billing/invoices/in_nope/pdf',
    '/billing/invoices/%E0%A4',
    '/api-keys',
    '/healthz',
    '/api/v1/hello',
    '/webhooks/stripe',
    '/no-such-page',
    '/login.data',
    '/billing.data?index',
    '/account.data',
    '/_root.data',
    '/login?_data=routes%2Flogin',
    '/billing?_data=routes%2Fbilling._index',
    '/%',
    '/%E0%A4%A',
    '/..%2f..%2fetc%2fpasswd',
    '//evil.example/login',
    '/login?redirectTo=%E3%80%80',
    '/build/../package.json',
    '/favicon.svg/x',
  ];
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'SEARCH'];
  const bodies: [string, Record<string, string>, Buffer | string | undefined][] = [
    ['none', {}, undefined],
    ['empty form', { 'Content-Type': 'application/x-www-form-urlencoded' }, ''],
    [
      'form',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      'email=a%40b.c&password=wrong-password&intent=create&name=x&redirectTo=%2F%E3%80%80%2Fevil.com&token=abc',
    ],
    [
      'form with junk',
      { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-16' },
      '%%%&&==&intent=%FF%FE&email[]=1&__proto__=x',
    ],
    ['invalid UTF-8', { 'Content-Type': 'application/x-www-form-urlencoded' }, Buffer.from([0x65, 0x3d, 0xff, 0xfe, 0xc0, 0xaf])],
    ['json', { 'Content-Type': 'application/json' }, '{"intent":"create"'],
    ['text', { 'Content-Type': 'text/plain' }, 'hello'],
    ['xml', { 'Content-Type': 'text/xml' }, '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'],
    ['broken multipart', { 'Content-Type': 'multipart/form-data; boundary=b' }, '--b\r\nContent-Disposition: form-data\r\n\r\nx'],
    ['gzip claimed', { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': 'gzip' }, 'not gzip'],
    ['bad content-type', { 'Content-Type': ';;;=' }, 'a=b'],
  ];
  const headerSets: [string, Record<string, string>][] = [
    ['signed in', { Cookie: '' }],
    ['garbage cookie', { Cookie: '__session=%%%; __session=x.y.z; =; a' }],
    ['foreign origin', { Origin: 'https://evil.example' }],
    ['null origin', { Origin: 'null' }],
    ['garbage origin', { Origin: 'not a url' }],
    ['no origin', {}],
    [
      'odd forwarded headers',
      { 'X-Forwarded-Proto': 'gopher', 'X-Forwarded-For': 'not-an-ip, , ::1', Accept: '*/*;q=x', 'Accept-Encoding': 'br;q=-1' },
    ],
  ];

  it('no route, method, body or header combination answers 500', async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let i = 0;
    for (const path of paths) {
      for (const method of methods) {
        const bodySet = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'TRACE' ? bodies.slice(0, 1) : bodies;
        for (const [bodyName, bodyHeaders, body] of bodySet) {
          for (const [headerName, extra] of headerSets) {
            i++;
            const headers: Record<string, string> = {
              Origin: portal.url,
              'X-Forwarded-For': `198.51.100.${i % 250}`,
              ...bodyHeaders,
              ...extra,
            };
            if (headerName === 'signed in') headers.Cookie = cookie;
            if (headerName === 'no origin') delete headers.Origin;
            let res: Sent;
            try {
              res = await send(method, path, headers, body);
            } catch (error) {
              failures.push(`${method} ${path} [${bodyName}; ${headerName}] → ${error instanceof Error ? error.message : String(error)}`);
              continue;
            }
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status >= 500 && !(path === '/healthz' && res.status === 503))
              failures.push(`${method} ${path} [${bodyName}; ${headerName}] → ${res.status} ${res.body.slice(0, 120)}`);
          }
        }
      }
    }
    console.log(`corpus: ${i} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(failures).toEqual([]);
  }, 600_000);
});
