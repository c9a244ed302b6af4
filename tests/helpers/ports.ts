/**
 * A port for a child process to listen on. Picked below the kernel's ephemeral range
 * (/proc/sys/net/ipv4/ip_local_port_range, 32768–60999 here), where the source ports of outgoing
 * connections come from: a port found free with `listen(0)` and handed to a child can be taken by
 * any test's outgoing connection before the child binds it (it happened: EADDRINUSE in CI). Random
 * in 20000–32767 and probed, so parallel test files rarely pick the same one.
 */
import net from 'node:net';

const LOW = 20_000;
const HIGH = 32_767;

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (await probe(port)) return port;
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH} after 50 tries`);
}
