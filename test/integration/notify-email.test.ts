import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { pino } from 'pino';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeConfig } from '../../src/config/normalize.js';
import { GantryConfigSpec, type GantryConfigInput } from '../../src/config/schema.js';
import { systemClock } from '../../src/kernel/clock.js';
import { NotificationDispatcher } from '../../src/notify/dispatcher.js';
import { MASK, Redactor } from '../../src/secrets/redactor.js';
import { EnvSecretSource } from '../../src/secrets/source.js';
import type { Delivery } from '../../src/store/repositories/notification-repository.js';
import { sqliteDialect } from '../../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../../src/store/store.js';
import { captureNotification, registerSecret } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * The email channel against a real SMTP server (smtp-server) on 127.0.0.1: the dispatcher reads
 * events from a real store and sends each notification over SMTP with nodemailer; the mail is
 * parsed as a mail client would (mailparser).
 */
const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const PASSWORD = registerSecret('smtp-password-0123456789');
const DB_SECRET = registerSecret('db-secret-for-the-email-test');
const FAST = { maxAttempts: 3, backoff: { initialIntervalMs: 20, backoffCoefficient: 2, maximumIntervalMs: 80 } };

interface Mail {
  readonly from: string;
  readonly to: readonly string[];
  readonly user: string | undefined;
  readonly parsed: ParsedMail;
}

type SmtpError = Error & { responseCode: number };
const smtpError = (code: number, message: string): SmtpError => Object.assign(new Error(message), { responseCode: code });

/** An SMTP server that takes mail for the test; `rcpt` may refuse a recipient with a reply code. */
async function smtpServer(options: { rcpt?: (address: string, attempt: number) => SmtpError | undefined } = {}): Promise<{ port: number; mails: Mail[]; logins: string[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const logins: string[] = [];
  let attempts = 0;
  const settings: SMTPServerOptions = {
    // No certificate here: plain SMTP, login allowed without TLS (the channel's requireTls is off).
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth(auth: SMTPServerAuthentication, _session, callback) {
      logins.push(`${auth.username}:${auth.password === PASSWORD ? 'right password' : 'wrong password'}`);
      if (auth.username === 'gantry' && auth.password === PASSWORD) callback(null, { user: auth.username });
      else callback(smtpError(535, 'Authentication credentials invalid'));
    },
    onRcptTo(address, _session, callback) {
      const refusal = options.rcpt?.(address.address, ++attempts);
      callback(refusal ?? null);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string | undefined, parsed });
          captureNotification('smtp', `${parsed.subject ?? ''}\n${parsed.text ?? ''}`);
          callback();
        })
        .catch((error: unknown) => callback(error as Error));
    },
  };
  const server = new SMTPServer(settings);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, logins, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

type Notifications = NonNullable<GantryConfigInput['notifications']>;

describe('email notifications over SMTP', () => {
  const temp = new TempDirs();
  const closers: Array<() => Promise<void>> = [];
  let store: Store | undefined;
  let dispatcher: NotificationDispatcher | undefined;

  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
    await store?.close();
    store = undefined;
    await Promise.all(closers.splice(0).map((c) => c()));
    await temp.cleanup();
  });

  async function start(notifications: Notifications, secrets: Record<string, string>): Promise<Store> {
    // Out of the global sweep: tests here write a secret into an event on purpose, to see the mail mask it.
    store = await Store.open(sqliteDialect(join(await temp.make('gantry-test-', { sweep: false }), 'gantry.db')));
    const source = new EnvSecretSource(Object.fromEntries(Object.entries({ DB_PASSWORD: DB_SECRET, ...secrets }).map(([k, v]) => [`GANTRY_SECRET_${k}`, v])));
    const config = normalizeConfig(
      GantryConfigSpec.parse({
        version: 1,
        project: { name: 'volteryde' },
        repository: { url: '.' },
        services: { api: { path: 'api', run: { command: 'node server.js', port: 3000 } } },
        environments: { staging: { branch: 'staging' }, production: { branch: 'main' } },
        notifications,
      }),
    );
    dispatcher = new NotificationDispatcher({
      store,
      config,
      secrets: source,
      redactor: () => new Redactor(source.allValues()),
      logger: pino({ level: 'silent' }),
      clock: systemClock,
      publicUrl: 'https://gantry.example.com',
      pollMs: 20,
      runSettleMs: 20,
      policy: FAST,
    });
    dispatcher.start();
    return store;
  }

  async function seedRun(s: Store, environment: string): Promise<number> {
    const run = await s.runs.create(
      { trigger: 'push', branch: 'main', ref: 'main', sha: SHA, baseSha: null, environment, author: 'bob', triggeredBy: 'alice', commitMessage: 'ship it', configJson: null },
      { notes: [], steps: [{ key: `deploy:${environment}:api`, kind: 'deploy', name: 'deploy api', service: 'api', environment, needs: [], spec: {}, maxAttempts: 1 }] },
      Date.now() - 62_000,
    );
    await s.runs.markStarted(run.id, Date.now() - 62_000);
    return run.id;
  }

  const settled = (s: Store, runId: number, count: number): Promise<Delivery[]> =>
    until(`${count} settled deliveries of run #${runId}`, async () => {
      const all = await s.notifications.forRun(runId);
      return all.length === count && all.every((d) => d.status !== 'pending') && all;
    }, 20_000);

  const channel = (port: number, more: Record<string, unknown> = {}) => ({ kind: 'email' as const, to: ['ops@volteryde.example', 'dev@volteryde.example'], smtp: `smtp://127.0.0.1:${port}`, from: 'gantry@volteryde.example', user: 'gantry', password: { secret: 'SMTP_PASSWORD' }, ...more });

  it('mails a deployment to every address, logged in, with the subject and text Slack shows, a secret in the reason masked', async () => {
    const smtp = await smtpServer();
    closers.push(smtp.close);
    const s = await start({ channels: { mail: channel(smtp.port) }, routes: [{ events: ['deployment.succeeded', 'deployment.rolled-back'], channels: ['mail'] }] }, { SMTP_PASSWORD: PASSWORD });
    const runId = await seedRun(s, 'staging');
    await s.events.append('deployment.succeeded', 'alice', runId, { environment: 'staging', service: 'api', revision: 8, release: SHA, digest: 'sha256:00' }, Date.now());
    await s.events.append('deployment.rolled-back', 'gantry', runId, { environment: 'staging', service: 'api', revision: 9, restored: 8, release: SHA, reason: `smoke failed: DATABASE_URL=postgres://app:${DB_SECRET}@db/app` }, Date.now());

    const deliveries = await settled(s, runId, 2);
    expect(deliveries.map((d) => [d.channel, d.status, d.attempts])).toEqual([
      ['mail', 'delivered', 1],
      ['mail', 'delivered', 1],
    ]);
    expect(smtp.mails).toHaveLength(2);
    expect(smtp.logins).toEqual(['gantry:right password', 'gantry:right password']);
    const [live, rollback] = [smtp.mails.find((m) => m.parsed.subject?.includes('deployed')), smtp.mails.find((m) => m.parsed.subject?.includes('Rolled back'))];
    expect(live?.from).toBe('gantry@volteryde.example');
    expect(live?.to).toEqual(['ops@volteryde.example', 'dev@volteryde.example']);
    expect(live?.user).toBe('gantry');
    expect(live?.parsed.subject).toBe('✅ api deployed to staging');
    const text = live?.parsed.text ?? '';
    expect(text.split('\n')[0]).toBe('api r8 (abcdef0) is live in staging');
    expect(text).toMatch(/^Environment: +staging$/m);
    expect(text).toMatch(/^Release: +abcdef0$/m);
    expect(text).toMatch(/^Who: +alice \(author bob\)$/m);
    expect(text).toContain(`Open run #${runId}: https://gantry.example.com/#/runs/${runId}`);
    expect(live?.parsed.headers.get('x-gantry-event')).toBe('deployment.succeeded');
    const deliveryIds = deliveries.map((d) => d.deliveryId);
    expect(deliveryIds).toContain(live?.parsed.headers.get('x-gantry-delivery'));
    expect(live?.parsed.messageId).toBe(`<${String(live?.parsed.headers.get('x-gantry-delivery'))}@gantry>`);

    expect(rollback?.parsed.subject).toBe('⚠️ Rolled back: api in staging');
    expect(rollback?.parsed.text).toContain(`postgres://app:${MASK}@db/app`);
    for (const m of smtp.mails) expect(`${m.parsed.subject ?? ''}${m.parsed.text ?? ''}`).not.toContain(DB_SECRET);
  });

  it('records a recipient the server refuses with a 5xx reply as a failed delivery, without retrying (the other address gets it once)', async () => {
    const smtp = await smtpServer({ rcpt: (address) => (address === 'dev@volteryde.example' ? smtpError(550, 'No such user here') : undefined) });
    closers.push(smtp.close);
    const s = await start({ channels: { mail: channel(smtp.port) }, routes: [{ events: ['deployment.succeeded'], channels: ['mail'] }] }, { SMTP_PASSWORD: PASSWORD });
    const runId = await seedRun(s, 'staging');
    await s.events.append('deployment.succeeded', 'alice', runId, { environment: 'staging', service: 'api', revision: 8, release: SHA }, Date.now());

    const [delivery] = await settled(s, runId, 1);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(delivery?.lastError).toMatch(/^SMTP 127\.0\.0\.1:\d+ refused dev@volteryde\.example \(550 No such user here\); the others got the mail$/);
    expect(smtp.mails.map((m) => m.to)).toEqual([['ops@volteryde.example']]);
  });

  it('retries a 4xx reply ("try again later") and delivers on the next try', async () => {
    const smtp = await smtpServer({ rcpt: (_address, attempt) => (attempt === 1 ? smtpError(451, 'Greylisted, try again later') : undefined) });
    closers.push(smtp.close);
    const s = await start({ channels: { mail: channel(smtp.port, { to: ['ops@volteryde.example'] }) }, routes: [{ events: ['deployment.succeeded'], channels: ['mail'] }] }, { SMTP_PASSWORD: PASSWORD });
    const runId = await seedRun(s, 'staging');
    await s.events.append('deployment.succeeded', 'alice', runId, { environment: 'staging', service: 'api', revision: 8, release: SHA }, Date.now());

    const [delivery] = await settled(s, runId, 1);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(smtp.mails).toHaveLength(1);
  });

  it('fails for good on a wrong password (535), naming the server and never the password', async () => {
    const smtp = await smtpServer();
    closers.push(smtp.close);
    const s = await start({ channels: { mail: channel(smtp.port) }, routes: [{ events: ['deployment.succeeded'], channels: ['mail'] }] }, { SMTP_PASSWORD: 'not-the-password' });
    const runId = await seedRun(s, 'staging');
    await s.events.append('deployment.succeeded', 'alice', runId, { environment: 'staging', service: 'api', revision: 8, release: SHA }, Date.now());

    const [delivery] = await settled(s, runId, 1);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(delivery?.lastError).toMatch(/^SMTP 127\.0\.0\.1:\d+ answered 535/);
    expect(delivery?.lastError).not.toContain('not-the-password');
    expect(smtp.logins).toEqual(['gantry:wrong password']);
    expect(smtp.mails).toHaveLength(0);
  });

  it('retries a mail server that is down, then records the failure', async () => {
    const smtp = await smtpServer();
    await smtp.close();
    const s = await start({ channels: { mail: channel(smtp.port) }, routes: [{ events: ['deployment.succeeded'], channels: ['mail'] }] }, { SMTP_PASSWORD: PASSWORD });
    const runId = await seedRun(s, 'staging');
    await s.events.append('deployment.succeeded', 'alice', runId, { environment: 'staging', service: 'api', revision: 8, release: SHA }, Date.now());
    const [delivery] = await settled(s, runId, 1);
    expect(delivery).toMatchObject({ status: 'failed', attempts: FAST.maxAttempts });
    expect(delivery?.lastError).toMatch(/^SMTP 127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/);
  });
});
