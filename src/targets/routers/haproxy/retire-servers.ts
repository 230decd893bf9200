import { parseServerConnections } from './haproxy-state.js';
import type { RuntimeApi } from './runtime-api.js';

/** How long a stopped revision's servers may take to finish their requests before they are left for the next sync. */
const DRAIN_DEADLINE_MS = 10_000;
const POLL_MS = 50;

/**
 * Removes servers whose replicas are gone (their weight already 0): drained first, so requests in
 * flight finish where they started, then put in maintenance and deleted once HAProxy holds no
 * connection to them (it refuses `del server` before). A server still busy at the deadline stays,
 * drained and without weight, and the next sync tries again: nothing is cut off.
 */
export async function retireServers(api: RuntimeApi, backend: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await api.apply(names.map((n) => `set server ${backend}/${n} state drain`));
  let left = [...names];
  const deadline = Date.now() + DRAIN_DEADLINE_MS;
  while (left.length > 0) {
    const connections = parseServerConnections(await api.query([`show servers conn ${backend}`]));
    const idle = left.filter((n) => (connections.get(n) ?? 0) === 0);
    for (const n of idle) {
      // Idle connections can appear between the reading and the command: a refusal here is retried next time round.
      await api.apply([`set server ${backend}/${n} state maint`, `del server ${backend}/${n}`]).then(
        () => (left = left.filter((l) => l !== n)),
        () => undefined,
      );
    }
    if (left.length === 0 || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
