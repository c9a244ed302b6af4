/** API usage at 80% and 100% of the plan's included calls (app/usage/alerts.server.ts). */
import { mailDate, num } from './format';
import type { MailBody } from './layout';

export function usageThreshold(d: Record<string, unknown>): MailBody {
  const threshold = num(d.threshold) ?? 80;
  const calls = (num(d.calls) ?? 0).toLocaleString('en-US');
  const allowance = (num(d.allowance) ?? 0).toLocaleString('en-US');
  const end = mailDate(d.periodEnd as string | null);
  const over = threshold >= 100;
  return {
    subject: over ? 'You have used all the API calls included in your plan' : `You have used ${threshold}% of your included API calls`,
    heading: over ? 'Included API calls used up' : `${threshold}% of your API calls used`,
    tone: over ? 'alert' : 'info',
    paragraphs: [
      `You have made ${calls} of the ${allowance} API calls included this period${end ? ` (it resets on ${end})` : ''}.`,
      over
        ? 'Further calls are billed as overage on your next invoice. Upgrade for a bigger allowance.'
        : 'Keep an eye on it, or upgrade for a bigger allowance.',
    ],
    action: { label: 'See your usage', path: '/billing/usage' },
  };
}
