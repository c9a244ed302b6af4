/**
 * Issue #16, behind a real reverse proxy: Debian's nginx, started here with TLS terminated there
 * (a self-signed certificate made with openssl), in front of the built portal.
 *  - nginx with nothing but `proxy_pass` (it rewrites Host; TRUST_PROXY unset): every form POST used to
 *    be a 500 (Remix's own Origin/Host check); now the app's check decides, and a foreign origin is a 403;
 *  - the configuration docs/deploy.md shows (read from the file), with TRUST_PROXY=1: forwarded proto
 *    and address are used, and a client cannot choose its address for the rate limits.
 * nginx missing is a loud failure, not a skip: `npm test` installs it (scripts/test.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startPortal, type Portal } from './portal';

const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
const nginxMissing = !fs.existsSync(NGINX);
if (nginxMissing) {
  console.error(
    `\n${'!'.repeat(78)}\n!! proxy.test.ts: nginx is not installed at ${NGINX}. These tests FAIL until it is:\n!!   apt-get install -y nginx   (npm test does this as root on Debian)\n${'!'.repeat(78)}\n`,
  );
}

interface Proxy {
  port: number;
  url: string;
  stop(): Promise<void>;
}

let cert: { key: string; cert: string; ca: Buffer; dir: string };

function makeCertificate(dir: string) {
  const key = path.join(dir, 'key.pem');
  const crt = path.join(dir, 'cert.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ],
    {
      stdio: 'pipe',
    },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { key, cert: crt, ca: fs.readFileSync(crt), dir };
}

/** The `nginx` block of docs/deploy.md, pointed at this test's ports, host and certificate. */
function documentedServerBlock(listenPort: number, appPort: number): string {
  const doc = fs.readFileSync(path.resolve('docs/deploy.md'), 'utf8');
  const block = doc.match(/```nginx\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error('docs/deploy.md has no ```nginx block');
  const replaced = block
    .replace('listen 443 ssl;', `listen 127.0.0.1:${listenPort} ssl;`)
    .replace('server_name portal.example.com;', 'server_name localhost;')
    .replace('/etc/ssl/portal/fullchain.pem', cert.cert)
    .replace('/etc/ssl/portal/privkey.pem', cert.key)
    .replace('http://127.0.0.1:3000', `http://127.0.0.1:${appPort}`);
  for (const must of [`127.0.0.1:${listenPort} ssl`, cert.cert, cert.key, `127.0.0.1:${appPort}`]) {
    if (!replaced.includes(must)) throw new Error(`docs/deploy.md's nginx block changed shape (missing ${must})`);
  }
  return replaced;
}

/** nginx's own default: only proxy_pass (Host becomes 127.0.0.1:<port>, no X-Forwarded-*). */
function bareServerBlock(listenPort: number, appPort: number): string {
  return `server {
    listen 127.0.0.1:${listenPort} ssl;
    server_name localhost;
    ssl_certificate ${cert.cert};
    ssl_certificate_key ${cert.key};
    client_max_body_size 2m;
    location / { proxy_pass http://127.0.0.1:${appPort}; }
  }`;
}

async function startNginx(name: string, port: number, serverBlock: string): Promise<Proxy> {
  const dir = path.join(cert.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${serverBlock}
}
`,
  );
  let out = '';
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', conf, '-e', `${dir}/error.log`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `https://localhost:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`nginx exited (${child.exitCode}): ${out}\n${fs.readFileSync(`${dir}/error.log`, 'utf8')}`);
    if (Date.now() - started > 15_000) throw new Error(`nginx did not start: ${out}`);
    try {
      if ((await request('GET', `${url}/healthz`)).status === 200) break;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  cookies: string[];
}

/** HTTPS through the proxy, verifying its certificate against the one made here. */
function request(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; form?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = opts.form !== undefined ? new URLSearchParams(opts.form).toString() : undefined;
    const req = https.request(
      url,
      {
        method,
        ca: cert.ca,
        headers: {
          ...(body !== undefined
            ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) }
            : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            cookies: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'portal-proxy-'));
  fs.chmodSync(tmp, 0o755);
  cert = makeCertificate(tmp);
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('behind nginx', () => {
  it('nginx is installed (npm test installs it; see the banner above if not)', () => {
    expect(nginxMissing, `nginx missing at ${NGINX}: apt-get install -y nginx`).toBe(false);
  });

  describe("nginx's default (Host rewritten, no forwarded headers, TRUST_PROXY unset)", () => {
    let portal: Portal;
    let proxy: Proxy;
    beforeAll(async () => {
      if (nginxMissing) return;
      const listen = await freePort();
      portal = await startPortal({ APP_URL: `https://localhost:${listen}` });
      proxy = await startNginx('bare', listen, bareServerBlock(listen, portal.port));
    }, 120_000);
    afterAll(async () => {
      await proxy?.stop();
      await portal?.stop();
    });

    it('form POSTs work (never a 500 from Remix comparing Origin with the rewritten Host)', async () => {
      expect(nginxMissing).toBe(false);
      const email = `proxy-${Date.now()}@example.com`;
      const signup = await request('POST', `${proxy.url}/signup`, {
        headers: { Origin: proxy.url },
        form: { name: 'Proxied', email, password: 'a-long-password-1' },
      });
      expect(signup.status, signup.body).toBe(302);
      expect(signup.headers.location).toBe('/dashboard');
      const cookie = signup.cookies.find((c) => c.startsWith('__session='))!;
      expect(String(signup.headers['set-cookie'])).toMatch(/; Secure/i);
      const dashboard = await request('GET', `${proxy.url}/dashboard`, { headers: { Cookie: cookie } });
      expect(dashboard.status).toBe(200);
      expect(dashboard.headers['strict-transport-security']).toBe('max-age=31536000');
      expect(dashboard.headers['cache-control']).toBe('private, no-store');
      const logout = await request('POST', `${proxy.url}/logout`, { headers: { Origin: proxy.url, Cookie: cookie }, form: {} });
      expect(logout.status).toBe(302);
      expect((await request('GET', `${proxy.url}/dashboard`, { headers: { Cookie: cookie } })).status).toBe(302);
      // The single-fetch form submissions the browser makes (.data) as well.
      const login = await request('POST', `${proxy.url}/login.data`, {
        headers: { Origin: proxy.url },
        form: { email, password: 'a-long-password-1' },
      });
      expect(login.status).toBeLessThan(400);
      expect(login.cookies.some((c) => c.startsWith('__session='))).toBe(true);
    });

    it('a foreign or missing Origin is a clear 403, never a 500', async () => {
      const evil = await request('POST', `${proxy.url}/logout`, { headers: { Origin: 'https://evil.example' }, form: {} });
      expect(evil.status).toBe(403);
      expect(evil.body).toContain('Requests from https://evil.example are not allowed');
      const none = await request('POST', `${proxy.url}/signup`, { form: { name: 'x' } });
      expect(none.status).toBe(403);
      // A look-alike of the public origin is someone else.
      const lookalike = await request('POST', `${proxy.url}/logout`, { headers: { Origin: `${proxy.url}.evil.example` }, form: {} });
      expect(lookalike.status).toBe(403);
      // The plain-http origin of the same host is not the https portal either.
      const downgrade = await request('POST', `${proxy.url}/logout`, {
        headers: { Origin: proxy.url.replace('https:', 'http:') },
        form: {},
      });
      expect(downgrade.status).toBe(403);
    });

    it('without TRUST_PROXY, forwarded headers a client sends are ignored', async () => {
      // A client-sent X-Forwarded-Host used to reach Remix's check and turn a good form into a 500.
      const res = await request('POST', `${proxy.url}/forgot-password`, {
        headers: { Origin: proxy.url, 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'http' },
        form: { email: 'nobody@example.com' },
      });
      expect(res.status).toBe(200);
      // and a forged X-Forwarded-Host does not make a forged Origin acceptable
      const forged = await request('POST', `${proxy.url}/logout`, {
        headers: { Origin: 'https://evil.example', 'X-Forwarded-Host': 'evil.example' },
        form: {},
      });
      expect(forged.status).toBe(403);
    });
  });

  describe('the configuration in docs/deploy.md, TRUST_PROXY=1', () => {
    let portal: Portal;
    let proxy: Proxy;
    beforeAll(async () => {
      if (nginxMissing) return;
      const listen = await freePort();
      portal = await startPortal({ APP_URL: `https://localhost:${listen}`, TRUST_PROXY: '1' });
      proxy = await startNginx('documented', listen, documentedServerBlock(listen, portal.port));
    }, 120_000);
    afterAll(async () => {
      await proxy?.stop();
      await portal?.stop();
    });

    it('signs up, logs in and out over https with the forwarded scheme and host', async () => {
      expect(nginxMissing).toBe(false);
      const email = `documented-${Date.now()}@example.com`;
      const signup = await request('POST', `${proxy.url}/signup`, {
        headers: { Origin: proxy.url },
        form: { name: 'Documented', email, password: 'a-long-password-1' },
      });
      expect(signup.status, signup.body).toBe(302);
      const cookie = signup.cookies.find((c) => c.startsWith('__session='))!;
      const account = await request('GET', `${proxy.url}/account`, { headers: { Cookie: cookie } });
      expect(account.status).toBe(200);
      expect(account.headers['content-security-policy']).toMatch(/script-src 'self' 'nonce-/);
      expect(account.headers['strict-transport-security']).toBe('max-age=31536000');
      const logout = await request('POST', `${proxy.url}/logout`, { headers: { Origin: proxy.url, Cookie: cookie }, form: {} });
      expect(logout.status).toBe(302);
      expect((await request('GET', `${proxy.url}/account`, { headers: { Cookie: cookie } })).status).toBe(302);
      const evil = await request('POST', `${proxy.url}/logout`, { headers: { Origin: 'https://evil.example' }, form: {} });
      expect(evil.status).toBe(403);
    });

    it('the client address comes from nginx, not from what the client claims', async () => {
      // Every try claims a new X-Forwarded-For; nginx appends the address it saw, the portal reads
      // from the right, so all of them count against one address: the 11th is refused.
      for (let i = 0; i < 10; i++) {
        const res = await request('POST', `${proxy.url}/login`, {
          headers: { Origin: proxy.url, 'X-Forwarded-For': `198.51.100.${i}` },
          form: { email: `nobody-${i}@example.com`, password: 'wrong-password' },
        });
        expect(res.status).toBe(401);
      }
      const blocked = await request('POST', `${proxy.url}/login`, {
        headers: { Origin: proxy.url, 'X-Forwarded-For': '198.51.100.200' },
        form: { email: 'someone@example.com', password: 'wrong-password' },
      });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      const rows = portal.sql().prepare("select distinct address from client_attempts where kind = 'login_failure'").all() as {
        address: string;
      }[];
      expect(rows).toEqual([{ address: '127.0.0.1' }]);
    });

    it('passes the portal’s own 413 through for a body over 1 MiB', async () => {
      const res = await request('POST', `${proxy.url}/signup`, {
        headers: { Origin: proxy.url },
        form: { name: 'x'.repeat(1024 * 1024 + 10) },
      });
      expect(res.status).toBe(413);
      expect(res.body).toContain('too large');
    });
  });
});
