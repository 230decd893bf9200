import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhooks } from '@octokit/webhooks';

/**
 * Whether `X-Hub-Signature-256` is GitHub's HMAC-SHA256 of the body with `secret`. Verified with
 * @octokit/webhooks; it refuses an empty payload outright, so an empty body is checked here, so that
 * a correctly signed empty delivery is told apart (an empty payload, 400) from a forged one (401).
 * A missing or malformed signature is simply not valid.
 */
export async function signatureValid(secret: string, body: Buffer, signature: string | undefined): Promise<boolean> {
  if (!signature) return false;
  if (body.length === 0) {
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  try {
    return await new Webhooks({ secret }).verify(body.toString('utf8'), signature);
  } catch {
    return false;
  }
}
