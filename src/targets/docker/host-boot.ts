import { agentRevisionBody } from '../agent-client.js';
import { TargetError } from '../../errors/index.js';
import { RevisionPhase, type RevisionSpec, type RevisionStatus, type ServiceStatus } from '../target.js';
import type { HostAgent } from './host-agent.js';

/** How often a booting host is asked about its revision: a describe is one small call. */
const BOOT_POLL_MS = 250;
/** Log lines a failed host's reason carries. */
const REASON_LINES = 10;

const revisionOf = (services: readonly ServiceStatus[], spec: RevisionSpec): RevisionStatus | undefined =>
  services.find((s) => s.service === spec.service)?.revisions.find((r) => r.revision === spec.revision);

/**
 * Starts a revision on one host and waits until the host reports it ready. A revision that crash-
 * loops, stops, or is not ready by the deadline fails the host with TARGET_HOST_FAILED, naming the
 * host and the agent's reason (its lastError: an exit code, OOMKilled …) and the last log lines.
 */
export async function bootHost(host: HostAgent, spec: RevisionSpec, deadlineMs: number, target: string): Promise<void> {
  const path = `/v1/environments/${spec.environment}/services/${spec.service}`;
  await host.client.call('PUT', `${path}/revisions/${spec.revision}`, agentRevisionBody(spec));
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const { services } = await host.client.call<{ services: ServiceStatus[] }>('GET', `/v1/environments/${spec.environment}`);
    const status = revisionOf(services, spec);
    const phase = status?.phase ?? 'absent';
    if (phase === RevisionPhase.Ready) return;
    const final = phase === RevisionPhase.CrashLoop || phase === RevisionPhase.Failed || phase === RevisionPhase.Stopped || phase === RevisionPhase.Stopping || phase === 'absent';
    if (final || Date.now() >= deadline) {
      const lines = await host.client
        .call<{ lines: string[] }>('GET', `${path}/revisions/${spec.revision}/logs?lines=${REASON_LINES}`)
        .then((r) => r.lines)
        .catch(() => []);
      const why = [status?.lastError, lines.length > 0 ? `last log lines:\n${lines.join('\n')}` : undefined].filter(Boolean).join('; ');
      const state = final ? `is ${phase}` : `was not ready within ${deadlineMs} ms (still ${phase})`;
      throw new TargetError('TARGET_HOST_FAILED', `${spec.service} r${spec.revision} ${state} on host ${host.name} of target ${target}${why ? `: ${why}` : ''}`, {
        where: `${spec.environment}/${spec.service} r${spec.revision} on ${host.name}`,
        details: { host: host.name, phase, restarts: status?.restarts ?? 0, lastError: status?.lastError ?? null },
        hint: `The hosts after ${host.name} were not touched; the rollback puts every host back on the previous revision. Read the reason above, or the revision's logs on ${host.name}.`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, BOOT_POLL_MS));
  }
}
