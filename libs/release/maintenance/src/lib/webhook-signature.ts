import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `Keyhaven-Webhook-Signature: sha256=<hex>` — HMAC-SHA256 of the exact body bytes with the
 * subscription's secret (the scheme GitHub uses, so receivers have ready-made code).
 */
export function signWebhook(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** For receivers (and our tests): constant-time comparison, so timing reveals nothing. */
export function verifyWebhookSignature(body: string | Buffer, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(signWebhook(body, secret));
  const given = Buffer.from(header.trim());
  return expected.length === given.length && timingSafeEqual(expected, given);
}
