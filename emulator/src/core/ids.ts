import { createHmac, randomBytes } from 'node:crypto';

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 string (rejection sampling, so every character is uniform). */
export function base62(len: number): string {
  let out = '';
  while (out.length < len) {
    for (const b of randomBytes(len * 2)) {
      if (b < 248) out += B62[b % 62];
      if (out.length === len) break;
    }
  }
  return out;
}

/** `newId('cus')` → `cus_1Qa...` (24 random chars, like Stripe's). */
export function newId(prefix: string, len = 24): string {
  return `${prefix}_${base62(len)}`;
}

/** Deterministic base62 digest of a string (e.g. a card fingerprint stable per card number). */
export function stableToken(input: string, len = 16, salt = 'stripe-emulator'): string {
  const digest = createHmac('sha256', salt).update(input).digest();
  let out = '';
  for (let i = 0; out.length < len; i++) out += B62[digest[i % digest.length]! % 62];
  return out;
}

/** The prefix of an id: 'cus_abc' → 'cus'; 'price_x' → 'price'; 'pi_x_secret_y' → 'pi'. */
export function idPrefix(id: string): string {
  const i = id.indexOf('_');
  return i > 0 ? id.slice(0, i) : '';
}
