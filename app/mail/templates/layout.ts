/**
 * The frame every email shares: a plain-text body and a simple HTML body with inline styles only (mail
 * clients drop <style> and classes), one call to action linking back to the page that resolves the
 * situation, and a footer naming the product. Nothing here reads secrets: the caller passes facts.
 */
import { PRODUCT_NAME } from '../brand';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface MailContext {
  /** The app's public URL without a trailing slash (links are absolute). */
  appUrl: string;
  /** The recipient's name, when known. */
  name: string | null;
}

export interface MailBody {
  subject: string;
  /** The heading over the message. */
  heading: string;
  /** Paragraphs of plain text (HTML-escaped in the HTML body). */
  paragraphs: string[];
  /** Label/value rows (amount, date, card…), shown as a small table. */
  facts?: [string, string][];
  action: { label: string; path: string };
  /** Tone of the heading bar: the usual blue, or red for a problem to fix. */
  tone?: 'info' | 'alert';
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderLayout(body: MailBody, ctx: MailContext): RenderedMail {
  const url = `${ctx.appUrl}${body.action.path}`;
  const greeting = ctx.name ? `Hi ${ctx.name},` : 'Hello,';
  const facts = body.facts ?? [];
  const text = [
    greeting,
    '',
    ...body.paragraphs.flatMap((p) => [p, '']),
    ...(facts.length ? [...facts.map(([k, v]) => `${k}: ${v}`), ''] : []),
    `${body.action.label}: ${url}`,
    '',
    `— ${PRODUCT_NAME}`,
    `You receive this email because you have an ${PRODUCT_NAME} account.`,
    '',
  ].join('\n');

  const accent = body.tone === 'alert' ? '#b91c1c' : '#1d4ed8';
  const factRows = facts
    .map(
      ([k, v]) =>
        `<tr><td style="padding:4px 16px 4px 0;color:#64748b;font-size:14px;">${escapeHtml(k)}</td>` +
        `<td style="padding:4px 0;color:#0f172a;font-size:14px;font-weight:600;">${escapeHtml(v)}</td></tr>`,
    )
    .join('');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(body.subject)}</title></head>
<body style="margin:0;padding:0;background:#f1f5f9;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#0f172a;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f1f5f9;padding:24px 12px;"><tr><td align="center">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:8px;border:1px solid #e2e8f0;">
<tr><td style="padding:20px 24px;border-bottom:3px solid ${accent};font-size:16px;font-weight:700;">${escapeHtml(PRODUCT_NAME)}</td></tr>
<tr><td style="padding:24px;">
<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#0f172a;">${escapeHtml(body.heading)}</h1>
<p style="margin:0 0 12px;font-size:15px;line-height:1.5;">${escapeHtml(greeting)}</p>
${body.paragraphs.map((p) => `<p style="margin:0 0 12px;font-size:15px;line-height:1.5;">${escapeHtml(p)}</p>`).join('\n')}
${factRows ? `<table role="presentation" cellpadding="0" cellspacing="0" style="margin:8px 0 16px;">${factRows}</table>` : ''}
<p style="margin:20px 0 8px;"><a href="${escapeHtml(url)}" style="display:inline-block;background:${accent};color:#ffffff;text-decoration:none;font-weight:600;font-size:15px;padding:10px 18px;border-radius:6px;">${escapeHtml(body.action.label)}</a></p>
<p style="margin:8px 0 0;font-size:12px;color:#64748b;word-break:break-all;">${escapeHtml(url)}</p>
</td></tr>
<tr><td style="padding:16px 24px;border-top:1px solid #e2e8f0;font-size:12px;color:#64748b;">${escapeHtml(PRODUCT_NAME)} · You receive this email because you have an ${escapeHtml(PRODUCT_NAME)} account.</td></tr>
</table></td></tr></table>
</body></html>
`;
  return { subject: body.subject, text, html };
}
