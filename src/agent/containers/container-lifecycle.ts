import type { Logger } from 'pino';
import type { ProcessSpec } from '../supervisor/process-spec.js';
import { containerConfig } from './container-config.js';
import type { ContainerSpec } from './container-spec.js';
import { isNotFound } from './docker-client.js';
import type { ReplicaContext } from './container-replica.js';

const graceSeconds = (ctx: ReplicaContext): number => Math.max(1, Math.ceil(ctx.settings.stopGraceMs / 1000));

/**
 * Makes the replica's container anew and starts it: whatever has its name is removed first (a
 * container of an earlier run), its secret files are written, and it is created from the plan. When
 * `cancelled()` turns true meanwhile (the replica is being stopped), what was created is removed.
 */
export async function createAndStart(ctx: ReplicaContext, spec: ProcessSpec & { readonly container: ContainerSpec }, cancelled: () => boolean): Promise<void> {
  const c = spec.container;
  await ctx.docker.getContainer(c.name).remove({ force: true }).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
  const secretsDir = await ctx.secrets.write(c.name, c.secrets);
  const { settings } = ctx;
  const body = containerConfig({ spec: c, command: spec.command, port: spec.port, network: await ctx.network(), secretsDir, maxRestarts: settings.crashLoop.maxRestarts, stopGraceMs: settings.stopGraceMs });
  const container = await ctx.docker.createContainer(body);
  if (cancelled()) {
    await container.remove({ force: true }).catch(() => undefined);
    return;
  }
  await container.start();
}

/** `docker stop` within the grace period, then removal of the container and its secret files; one already gone is no error. */
export async function stopAndRemove(ctx: ReplicaContext, name: string, log: Logger): Promise<void> {
  const container = ctx.docker.getContainer(name);
  await container.stop({ t: graceSeconds(ctx) }).catch((error: unknown) => {
    // 304: not running; 404: never made (a failed pull) or already gone.
    const code = (error as { statusCode?: number }).statusCode;
    if (code !== 304 && code !== 404) log.warn({ err: error }, 'docker stop failed; removing the container by force');
  });
  await container.remove({ force: true }).catch((error: unknown) => {
    if (!isNotFound(error)) log.error({ err: error }, 'removing the container failed');
  });
  await ctx.secrets.remove(name);
}

/** Liveness failed: the engine restarts the container (SIGTERM, SIGKILL after the grace period). */
export function restartContainer(ctx: ReplicaContext, name: string, log: Logger): void {
  void ctx.docker.getContainer(name).restart({ t: graceSeconds(ctx) }).catch((error: unknown) => log.error({ err: error }, 'restarting the container for liveness failed'));
}
