import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { EngineBus, EngineEvent } from '../engine/events.js';
import type { Logger } from '../kernel/logger.js';

const CHANNEL = 'gantry_changes';
const RECONNECT_MS = 1_000;

interface Notice {
  readonly origin: string;
  readonly event: EngineEvent;
}

function isNotice(value: unknown): value is Notice {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { origin?: unknown; event?: { type?: unknown; runId?: unknown } };
  return typeof v.origin === 'string' && typeof v.event === 'object' && v.event !== null && ['run', 'step', 'log'].includes(String(v.event.type)) && typeof v.event.runId === 'number';
}

/**
 * Carries every server's engine events to the others on one Postgres database with LISTEN/NOTIFY,
 * so an SSE follower or a CLI `--follow` on any server sees steps another server runs as they
 * happen. Events name what changed and nothing more (readers re-read the store), so a notice lost
 * while the listening connection reconnects costs only latency: the views also poll.
 * On SQLite there is one server per database and the local bus is the whole stream.
 */
export class ChangeFeed {
  private readonly origin = randomUUID();
  private listener: pg.Client | undefined;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly publisher: pg.Pool;

  constructor(
    private readonly url: string,
    private readonly bus: EngineBus,
    private readonly logger: Logger,
    /** Called for each change from another server (wakes this server's executor and dispatchers). */
    private readonly onRemote: (event: EngineEvent) => void = () => undefined,
  ) {
    // Its own small pool: a NOTIFY never waits behind the store's queries.
    this.publisher = new pg.Pool({ connectionString: url, max: 2 });
    this.publisher.on('error', () => undefined);
  }

  async start(): Promise<void> {
    await this.listen();
    this.unsubscribe = this.bus.subscribeLocal((event) => {
      const payload = JSON.stringify({ origin: this.origin, event } satisfies Notice);
      this.publisher.query('select pg_notify($1, $2)', [CHANNEL, payload]).catch((error: unknown) => this.logger.debug({ err: error }, 'could not pass a change on to the other servers'));
    });
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      let notice: unknown;
      try {
        notice = JSON.parse(message.payload);
      } catch {
        return;
      }
      if (!isNotice(notice) || notice.origin === this.origin) return;
      this.bus.inject(notice.event);
      this.onRemote(notice.event);
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'the change feed lost its database connection; reconnecting');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
    } catch (error: unknown) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    this.listener = client;
  }

  /** Drops a lost listening connection and listens again after a pause, until it works or the feed stops. */
  private reconnect(lost: pg.Client): void {
    if (this.stopped || this.listener !== lost) return;
    this.listener = undefined;
    lost.removeAllListeners('end');
    void lost.end().catch(() => undefined);
    this.retryLater();
  }

  private retryLater(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.stopped) return;
      this.listen().catch((error: unknown) => {
        this.logger.warn({ err: error }, 'the change feed could not reconnect; trying again');
        this.retryLater();
      });
    }, RECONNECT_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.retry) clearTimeout(this.retry);
    const client = this.listener;
    this.listener = undefined;
    client?.removeAllListeners('end');
    await client?.end().catch(() => undefined);
    await this.publisher.end().catch(() => undefined);
  }
}
