import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Gantry-Signature-256';
export const EVENT_HEADER = 'X-Gantry-Event';
export const DELIVERY_HEADER = 'X-Gantry-Delivery';

/** `sha256=<hex HMAC-SHA256 of the raw body>`, as GitHub signs its webhooks, so receivers can reuse their code. */
export function signatureOf(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What a receiver does: recompute over the raw bytes and compare in constant time. */
export function verifySignature(body: string | Buffer, secret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signatureOf(body, secret));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The headers every Gantry webhook carries; the signature only when the channel has a signing secret. */
export function webhookHeaders(ctx: { event: string; deliveryId: string }, signingSecret: string | undefined): { headers: Record<string, string>; sign?: (body: string) => Record<string, string> } {
  const headers = { [EVENT_HEADER]: ctx.event, [DELIVERY_HEADER]: ctx.deliveryId };
  if (signingSecret === undefined) return { headers };
  return { headers, sign: (body) => ({ [SIGNATURE_HEADER]: signatureOf(body, signingSecret) }) };
}
