/**
 * A separate sender process for tests/integration/outbox-crash.test.ts: the real MailSender on the
 * test's database file and SMTP listener, sending until the outbox has nothing due. The test kills it
 * with SIGKILL at chosen moments.
 */
import { MailSender } from '~/mail/sender.server';

const sender = new MailSender({
  smtpUrl: process.env.SMTP_URL!,
  from: 'Acme Cloud <billing@acme.test>',
  leaseMs: Number(process.env.MAIL_LEASE_MS ?? 300_000),
  batchSize: Number(process.env.MAIL_BATCH ?? 20),
  cardCheckEveryMs: 0,
});

async function drain(): Promise<number> {
  const report = await sender.runOnce();
  return report.claimed === 0 ? 0 : report.sent + (await drain());
}

const sent = await drain();
await sender.stop();
process.stdout.write(`sent ${sent}\n`);
