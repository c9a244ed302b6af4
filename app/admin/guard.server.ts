import { getUser } from '~/auth/session.server';
import type { User } from '~/db/schema';
import { env } from '~/lib/env.server';

/**
 * Who may use the operator console (docs/admin.md): accounts whose email is in ADMIN_EMAILS, compared
 * without regard to case. The list is read from the environment on every check, never stored on the
 * user row, so removing an address takes effect at the next request.
 */
export function isOperator(email: string | null | undefined): boolean {
  return !!email && env().adminEmails.includes(email.trim().toLowerCase());
}

/**
 * The one guard of every /admin loader and action: the signed-in operator, or a 404 that looks exactly
 * like a page that does not exist (no redirect to the login page, no 403), for anonymous visitors and
 * customers alike, on documents, `.data` requests and form posts.
 */
export async function requireAdmin(request: Request): Promise<User> {
  const user = await getUser(request);
  if (!user || !isOperator(user.email)) throw new Response('Not Found', { status: 404, statusText: 'Not Found' });
  return user;
}

/**
 * The action of an admin page that takes no form posts: the guard first (everyone else still gets the
 * 404), then 405 for operators. Every admin route exports an action, so a POST never tells a
 * non-operator which /admin paths exist.
 */
export async function noAdminAction(request: Request): Promise<Response> {
  await requireAdmin(request);
  return new Response('This page takes no form posts.', {
    status: 405,
    headers: { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' },
  });
}
