import type { Logger } from 'pino';
import { Pool } from 'undici';

export interface UpstreamPoolsOptions {
  readonly connections: number;
  readonly upstreamTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly logger: Logger;
}

interface Held {
  readonly pool: Pool;
  refs: number;
}

/**
 * Keep-alive connection pools to upstreams, one per backend URL, shared by every route and every
 * backend set that names the URL. A pool lives while some backend set references its URL; when the
 * last one lets go it is closed gracefully (requests already queued on it finish) and destroyed if
 * that takes longer than the drain timeout.
 */
export class UpstreamPools {
  private readonly held = new Map<string, Held>();
  private readonly draining = new Set<Promise<void>>();

  constructor(private readonly options: UpstreamPoolsOptions) {}

  acquire(url: string): Pool {
    let held = this.held.get(url);
    if (held === undefined) {
      const { connections, upstreamTimeoutMs } = this.options;
      held = {
        pool: new Pool(url, { connections, pipelining: 1, headersTimeout: upstreamTimeoutMs, bodyTimeout: upstreamTimeoutMs }),
        refs: 0,
      };
      this.held.set(url, held);
    }
    held.refs++;
    return held.pool;
  }

  release(url: string): void {
    const held = this.held.get(url);
    if (held === undefined) return;
    held.refs--;
    if (held.refs > 0) return;
    // Forget it now: if the URL comes back before the drain ends, it gets a fresh pool.
    this.held.delete(url);
    const done = this.drain(url, held.pool).finally(() => this.draining.delete(done));
    this.draining.add(done);
  }

  /** Resolves when every pool let go so far has finished draining (or was cut at the timeout). */
  async drained(): Promise<void> {
    while (this.draining.size > 0) await Promise.all([...this.draining]);
  }

  private async drain(url: string, pool: Pool): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.drainTimeoutMs);
    });
    try {
      const outcome = await Promise.race([pool.close().then(() => 'closed' as const), cut]);
      if (outcome === 'timeout') {
        this.options.logger.warn({ upstream: url, drainTimeoutMs: this.options.drainTimeoutMs }, 'upstream still busy after the drain timeout; cutting its requests');
        await pool.destroy();
      }
    } catch (error: unknown) {
      // close/destroy only fail when already destroyed: nothing left to free.
      this.options.logger.debug({ upstream: url, err: error }, 'upstream pool already gone');
    } finally {
      clearTimeout(timer);
    }
  }
}
