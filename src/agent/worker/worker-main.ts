import { createLogger } from '../../kernel/logger.js';
import { isGantryError } from '../../errors/index.js';
import type { WireError, WorkerReport, WorkerStart } from '../router-link/messages.js';
import { RouterLink } from '../router-link/router-link.js';
import { startWorker, type RunningWorker } from './start-worker.js';

/**
 * Entry of the agent worker, forked by `gantry agent` (its parent) with an IPC channel. It exits
 * when the parent goes (the next agent adopts the revisions), restarts cleanly on SIGTERM (the
 * parent starts another at once), and stops everything when the parent asks it to.
 */
const logger = createLogger();

const report = (message: WorkerReport): Promise<void> =>
  new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });

const wire = (error: unknown): WireError =>
  isGantryError(error)
    ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
    : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error), hint: 'See the agent log.' };

let running: RunningWorker | undefined;
let leaving = false;

function leave(stopRevisions: boolean, why: string): void {
  if (leaving) return;
  leaving = true;
  logger.info({ stopRevisions }, `agent worker leaving: ${why}`);
  void (running?.close({ stopRevisions }) ?? Promise.resolve())
    .catch((error: unknown) => logger.error({ err: error }, 'closing the agent worker failed'))
    .finally(() => process.exit(0));
}

process.on('disconnect', () => leave(false, 'its parent is gone'));
process.on('SIGTERM', () => leave(false, 'SIGTERM (the parent starts another)'));
process.on('SIGINT', () => undefined); // a terminal's Ctrl-C reaches the parent, which decides
process.on('message', (message: unknown) => {
  const kind = (message as { kind?: unknown } | null)?.kind;
  if (kind === 'start' && running === undefined) void begin(message as WorkerStart);
  if (kind === 'stop') leave(true, 'the agent stops');
});

async function begin(start: WorkerStart): Promise<void> {
  try {
    running = await startWorker(start, new RouterLink(), logger);
    await report({ kind: 'ready', url: running.url });
  } catch (error: unknown) {
    logger.error({ err: error }, 'the agent worker could not start');
    await report({ kind: 'failed', error: wire(error) });
    process.exit(1);
  }
}
