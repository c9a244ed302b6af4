/**
 * Every path no other route matches: a 404 through the root's error boundary (app/root.tsx), for GET
 * and for any form post alike.
 *
 * Why a route and not Remix's own "no route matches": with lazy route discovery the browser knows
 * only the routes the server named for the page, and for a path below a layout (`/billing/…`,
 * `/admin/…`) the server names that layout too. The browser then hydrated the 404 against
 * root + layout, the server had rendered root alone, and the two `<Scripts>` lists differed: React's
 * hydration error #418. With this route both sides match root + this route.
 */
const notFound = () => new Response('Not Found', { status: 404, statusText: 'Not Found' });

export function loader(): never {
  throw notFound();
}

export function action(): never {
  throw notFound();
}

/** Never rendered (the loader always throws); a default export makes this a page route, not a resource route. */
export default function NotFound() {
  return null;
}
