/**
 * Subscription tokens and the publisher secret.
 *
 * Token format: `<expiry>.<mac>` where `expiry` is Unix time in seconds (decimal) and `mac` is
 * base64url(HMAC-SHA256(secret, `<subscription>\n<expiry>`)). `subscription` is the path segment
 * after /sub/ exactly as sent (one id, or several joined by commas), so a token grants exactly that
 * subscription until `expiry`. Publishing presents the secret itself as `Authorization: Bearer`.
 * Every comparison is constant-time (timingSafeEqual over equal-length digests).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type TokenCheck = 'ok' | 'missing' | 'malformed' | 'expired' | 'bad-signature';

function mac(secret: string, subscription: string, expiry: number): Buffer {
  return createHmac('sha256', secret).update(`${subscription}\n${expiry}`).digest();
}

/** A token granting `subscription` until `expiresAtSeconds` (Unix seconds). */
export function mintToken(secret: string, subscription: string, expiresAtSeconds: number): string {
  const expiry = Math.floor(expiresAtSeconds);
  return `${expiry}.${mac(secret, subscription, expiry).toString('base64url')}`;
}

export function checkToken(secret: string, subscription: string, token: string | null, nowSeconds: number): TokenCheck {
  if (token === null || token === '') return 'missing';
  const dot = token.indexOf('.');
  if (dot <= 0 || dot > 12) return 'malformed';
  const expiryText = token.slice(0, dot);
  if (!/^\d+$/.test(expiryText)) return 'malformed';
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  if (given.length !== 32) return 'malformed';
  const expiry = Number(expiryText);
  // Check the signature before the expiry so a forged token never learns whether its date was fine.
  if (!timingSafeEqual(given, mac(secret, subscription, expiry))) return 'bad-signature';
  return expiry <= nowSeconds ? 'expired' : 'ok';
}

/** Compares a presented secret with the configured one without leaking length or content by timing. */
export function secretMatches(secret: string, presented: string): boolean {
  const a = createHash('sha256').update(secret).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}

/** The credential in `Authorization: Bearer <credential>`, or null. */
export function bearer(authorization: string | null): string | null {
  if (authorization === null) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match === null ? null : match[1];
}
