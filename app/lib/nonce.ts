import { createContext, useContext } from 'react';

/**
 * This response's CSP nonce (app/lib/csp.server.ts), provided by entry.server around the app. Only the
 * server render has it; in the browser it is undefined and the attribute is not needed any more.
 */
export const NonceContext = createContext<string | undefined>(undefined);

export function useNonce(): string | undefined {
  return useContext(NonceContext);
}
