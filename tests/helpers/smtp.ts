/**
 * A real SMTP listener for tests (smtp-server): every message it accepts is kept with its envelope and
 * headers. `hold` lets a test keep the final answer to a message's DATA until it decides (crash tests).
 */
import { SMTPServer } from 'smtp-server';

export interface Received {
  to: string[];
  messageId: string | null;
  subject: string | null;
  raw: string;
}

export interface SmtpListener {
  url: string;
  /** Messages the server accepted (answered 250 to). */
  received: Received[];
  /**
   * Called when a message's data has arrived, before the server answers: resolve 'accept' to answer
   * 250 (the message counts as received), 'drop' to never answer (the client died first).
   */
  hold: ((message: Received) => Promise<'accept' | 'drop'>) | null;
  /** Recipients the server refuses with a 550. */
  refuse: Set<string>;
  close(): Promise<void>;
}

const header = (raw: string, name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'im').exec(raw)?.[1]?.trim() ?? null;

export async function startSmtpListener(): Promise<SmtpListener> {
  const listener: SmtpListener = {
    url: '',
    received: [],
    hold: null,
    refuse: new Set(),
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (listener.refuse.has(address.address)) return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const message: Received = {
          to: session.envelope.rcptTo.map((r) => r.address),
          messageId: header(raw, 'Message-ID'),
          subject: header(raw, 'Subject'),
          raw,
        };
        const accept = () => {
          listener.received.push(message);
          callback();
        };
        const hold = listener.hold;
        if (hold) void hold(message).then((verdict) => verdict === 'accept' && accept());
        else accept();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as { port: number };
  listener.url = `smtp://127.0.0.1:${port}`;
  listener.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return listener;
}
