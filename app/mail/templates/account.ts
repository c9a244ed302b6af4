/** Account emails: the password-reset link (app/auth/password-reset.server.ts). */
import { num, str } from './format';
import type { MailBody } from './layout';

export function passwordReset(d: Record<string, unknown>, appUrl: string): MailBody {
  const minutes = num(d.validMinutes) ?? 30;
  const link = str(d.resetUrl) ?? `${appUrl}/forgot-password`;
  return {
    subject: 'Reset your password',
    heading: 'Reset your password',
    paragraphs: [
      `Someone (hopefully you) asked to reset the password of this account. The link below works once, for ${minutes} minutes.`,
      'If you did not ask, ignore this email: your password stays as it is.',
    ],
    // The link carries its own origin (APP_URL when it was made).
    action: { label: 'Choose a new password', path: link.startsWith(appUrl) ? link.slice(appUrl.length) : '/forgot-password' },
  };
}
