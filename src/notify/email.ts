import { hostname } from 'node:os';
import { createTransport } from 'nodemailer';
import { DeliveryError } from './delivery-error.js';
import { renderEmail } from './email-message.js';
import type { DeliveryContext, Notifier } from './notifier.js';
import type { Notification } from './notification.js';

/** Per SMTP connection step (connect, greeting, each command): a mail server slower than this is treated as down. */
export const SMTP_TIMEOUT_MS = 10_000;

export interface EmailOptions {
  /** `smtp://host[:port]` (STARTTLS when the server offers it; port 587 by default) or `smtps://host[:port]` (TLS from the start; 465). */
  readonly smtp: string;
  readonly to: readonly string[];
  readonly from: string;
  /** Refuse to send unless the connection is encrypted (STARTTLS required on smtp://). */
  readonly requireTls: boolean;
  readonly user: string | undefined;
  /** Resolves the password (a secret) at delivery time, so a rotated one is used at once. */
  readonly password: () => string | undefined;
}

/** The sender when gantry.yaml names none: the server's own host, which a relay may refuse (then set `from`). */
export const defaultFrom = (): string => `gantry@${hostname()}`;

/** SMTP replies 4xx are "try again later"; a connection that failed or timed out may work on the next try. */
const RETRYABLE_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

interface SmtpFailure {
  readonly code?: string;
  readonly responseCode?: number;
  readonly response?: string;
  readonly message?: string;
}

/**
 * An SMTP failure as a DeliveryError, classified as the HTTP channels are: a 4xx reply or a broken
 * connection is retried; a 5xx reply (a refused recipient, failed authentication, a message
 * refused) and a refused configuration are permanent.
 */
export function smtpDeliveryError(error: unknown, server: string): DeliveryError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SmtpFailure;
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const retryable = reply !== undefined ? reply >= 400 && reply < 500 : RETRYABLE_CODES.has(e.code ?? '');
  const what = reply !== undefined ? `answered ${e.response ?? reply}` : `failed: ${e.message ?? String(error)}`;
  return new DeliveryError('NOTIFY_DELIVERY_FAILED', `SMTP ${server} ${what}`.slice(0, 400), {
    cause: error,
    retryable,
    ...(e.code === 'EAUTH' ? { hint: "Check the channel's user and the secret that holds its password." } : {}),
    details: { ...(reply !== undefined ? { smtpCode: reply } : {}), ...(e.code ? { code: e.code } : {}) },
  });
}

/** `host:port` of the channel's server, for messages: never a credential (the URL holds none). */
function endpoint(smtp: string): { host: string; port: number; secure: boolean } {
  const url = new URL(smtp);
  const secure = url.protocol === 'smtps:';
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? (secure ? 465 : 587) : Number(url.port), secure };
}

/** One plain-text mail per notification to every address of the channel, over SMTP (nodemailer). */
export class EmailNotifier implements Notifier {
  constructor(private readonly o: EmailOptions) {}

  async notify(notification: Notification, ctx: DeliveryContext): Promise<void> {
    const { host, port, secure } = endpoint(this.o.smtp);
    const password = this.o.password();
    const transport = createTransport({
      host,
      port,
      secure,
      requireTLS: this.o.requireTls,
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS,
      ...(this.o.user !== undefined ? { auth: { user: this.o.user, pass: password ?? '' } } : {}),
    });
    const { subject, text } = renderEmail(notification);
    const server = `${host}:${port}`;
    let refused: { rejected: readonly string[]; rejectedErrors?: readonly SmtpFailure[] | undefined };
    try {
      refused = await transport.sendMail({
        from: this.o.from,
        to: [...this.o.to],
        subject,
        text,
        // The same on every retry of this delivery, so a mailbox can drop a duplicate.
        messageId: `<${ctx.deliveryId}@gantry>`,
        headers: { 'X-Gantry-Event': ctx.event, 'X-Gantry-Delivery': ctx.deliveryId },
      });
    } catch (error: unknown) {
      throw smtpDeliveryError(error, server);
    } finally {
      transport.close();
    }
    if (refused.rejected.length > 0) {
      // The others have the mail already: another try would send it to them twice, so this is final.
      const why = refused.rejectedErrors?.[0]?.response ?? 'refused';
      throw new DeliveryError('NOTIFY_DELIVERY_FAILED', `SMTP ${server} refused ${refused.rejected.join(', ')} (${why}); the others got the mail`.slice(0, 400), {
        retryable: false,
        hint: "Check the channel's `to` addresses.",
      });
    }
  }
}
