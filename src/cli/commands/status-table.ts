import type { ServiceStatusView, RevisionView } from '../../server/status-views.js';
import type { Output, Style } from '../output.js';

/** The body of GET /api/v1/environments/:env/status (routes/environment-status.ts). */
export interface EnvironmentStatusBody {
  readonly environment: string;
  readonly target: string;
  readonly reachable: boolean;
  readonly message?: string;
  /** Empty for an environment with regions: each region lists its own. */
  readonly services: readonly ServiceStatusView[];
  /** An environment with regions: each region's target and what runs there. */
  readonly regions?: readonly RegionStatusBody[];
  readonly approvals: readonly { runId: number; kind: string; release: string; required: number | null; approvedBy: readonly string[] }[];
}

export interface RegionStatusBody {
  readonly region: string;
  readonly target: string;
  readonly reachable: boolean;
  readonly message?: string;
  readonly services: readonly ServiceStatusView[];
}

const PHASE_STYLE: Record<string, Style> = { ready: 'green', starting: 'yellow', unhealthy: 'red', crashed: 'red', 'crash-loop': 'red', failed: 'red', stopping: 'dim', stopped: 'dim' };

/** "42s", "3m", "2h 5m", "4d": how long ago an ISO time was. */
export function age(iso: string | null, now: number): string {
  if (iso === null) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d`;
}

const weight = (weights: Readonly<Record<string, number>> | undefined, revision: number): string => String(weights?.[String(revision)] ?? 0);

/** Every column but the phase is padded before painting, so colours do not shift the columns. */
function revisionRow(o: Output, service: string, r: RevisionView, s: ServiceStatusView, now: number, targetWidth: number): string {
  const name = r.live ? `r${r.revision} live` : `r${r.revision}`;
  const ready = `${r.readyReplicas ?? '?'}/${r.wantedReplicas ?? '?'}`;
  const weights = s.previewPort !== undefined || s.endpoints?.preview ? `${weight(s.weights.main, r.revision)}/${weight(s.weights.preview, r.revision)}` : weight(s.weights.main, r.revision);
  const phase = o.paint(PHASE_STYLE[r.phase] ?? 'bold', r.phase.padEnd(11));
  return `${service.padEnd(14)} ${name.padEnd(9)} ${(r.targetRevision ?? '-').padEnd(targetWidth)} ${phase} ${ready.padEnd(6)} ${String(r.restarts).padEnd(9)} ${weights.padEnd(8)} ${age(r.deployedAt, now)}`;
}

/**
 * `gantry status <env>` as text: a row per revision, its replicas and last error under it, then
 * warnings and approvals. An environment with regions gets that table once per region.
 */
export function statusLines(o: Output, body: EnvironmentStatusBody, now: number): string[] {
  const places = body.regions ?? [{ region: '', ...body }];
  const out = places.flatMap((p) => placeLines(o, p.region ? `${body.environment}@${p.region}` : body.environment, p, now));
  for (const a of body.approvals) out.push(`Waiting: run #${a.runId} (${a.kind}) ${a.approvedBy.length}/${a.required ?? '?'} approvals`);
  return out;
}

function placeLines(o: Output, title: string, body: Omit<RegionStatusBody, 'region'>, now: number): string[] {
  const out = [o.paint('bold', `${title} (target ${body.target})`)];
  if (!body.reachable) out.push(o.paint('yellow', body.message ?? 'the target does not answer'));
  // As wide as the longest name the target gives its revisions (a ReplicaSet with its rollout revision).
  const targetWidth = Math.max(15, ...body.services.flatMap((s) => s.revisions.map((r) => (r.targetRevision ?? '').length)));
  out.push(o.paint('dim', `${'SERVICE'.padEnd(14)} ${'REVISION'.padEnd(9)} ${'TARGET REVISION'.padEnd(targetWidth)} ${'PHASE'.padEnd(11)} ${'READY'.padEnd(6)} ${'RESTARTS'.padEnd(9)} ${'WEIGHTS'.padEnd(8)} AGE`));
  for (const s of body.services) {
    if (s.revisions.length === 0) {
      const live = s.live ? `r${s.live.revision} live` : 'nothing deployed';
      out.push(`${s.service.padEnd(14)} ${live.padEnd(9)} ${o.paint(s.live ? 'red' : 'dim', body.reachable ? 'not running on the target' : 'unknown')}`);
      continue;
    }
    s.revisions.forEach((r, i) => {
      out.push(revisionRow(o, i === 0 ? s.service : '', r, s, now, targetWidth));
      for (const p of r.replicas) {
        // The local agent's state is the phase itself ("ready"); a pod's (Running) says nothing of readiness.
        const readiness = p.state.toLowerCase() === 'ready' ? '' : p.ready ? ', ready' : ', not ready';
        out.push(`${''.padEnd(16)}${o.paint(p.ready ? 'green' : 'red', '•')} ${p.name} ${p.state}${readiness}, restarts ${p.restarts}${p.node ? `, on ${p.node}` : ''}`);
      }
      if (r.lastError && r.phase !== 'ready') out.push(`${''.padEnd(16)}${o.paint('red', `last error: ${r.lastError.split('\n').join('\n' + ''.padEnd(28))}`)}`);
    });
    if (s.live && !s.ready) out.push(`${''.padEnd(16)}${o.paint('red', `live revision r${s.live.revision} is not ready`)}`);
  }
  const warnings = body.services.flatMap((s) => s.warnings.map((w) => ({ service: s.service, ...w })));
  if (warnings.length > 0) {
    out.push('Warnings:');
    for (const w of warnings) out.push(`  ${w.service.padEnd(14)} ${age(w.at, now).padEnd(6)} ${o.paint('yellow', w.reason)} ${w.object}: ${w.message}${w.count > 1 ? ` (x${w.count})` : ''}`);
  }
  return out;
}

/** Exit 1 when a service's live revision (in any region) is not ready, so a script can alert on it. */
export const statusExitCode = (body: EnvironmentStatusBody): number => ([...body.services, ...(body.regions ?? []).flatMap((r) => r.services)].every((s) => s.ready) ? 0 : 1);
