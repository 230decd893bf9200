import type { RolloutProgress } from '../../../src/domain/deployment.js';
import type { StrategyConfig } from '../../../src/domain/rollout-config.js';
import type { Action, ReconcileInput } from '../../../src/strategies/index.js';
import type { RevisionPhase, RevisionSpec, ServiceStatus } from '../../../src/targets/target.js';

export const ROLLING: StrategyConfig = { kind: 'rolling', maxSurge: 1, maxUnavailable: 0 };
export const BLUE_GREEN: StrategyConfig = { kind: 'blue-green', scaleDownDelayMs: 30_000, previewPortOffset: 100 };

export const SPEC: RevisionSpec = {
  environment: 'production',
  service: 'api',
  revision: 7,
  release: 'c0ffee1234567890',
  artifact: { digest: 'sha256:abc', ref: 'oci-layout:/tmp/layout@sha256:abc' },
  command: 'node server.js',
  env: {},
  secretKeys: [],
  replicas: 4,
  health: { path: '/health', expectStatus: 200, intervalMs: 1000, timeoutMs: 500 },
};

/** What the target reports: revision → phase, and the routes' weights. */
export function observed(revisions: Record<number, RevisionPhase>, main: Record<string, number>, preview: Record<string, number> = {}): ServiceStatus {
  return {
    environment: SPEC.environment,
    service: SPEC.service,
    port: 14000,
    previewPort: 14100,
    revisions: Object.entries(revisions).map(([r, phase]) => ({ revision: Number(r), release: `rel${r}`, digest: `sha256:${r}`, phase, restarts: phase === 'crash-loop' ? 5 : 0, ports: [15000 + Number(r)], lastError: phase === 'ready' ? null : 'GET /health: 503' })),
    weights: { main, preview },
  };
}

export const progress = (phase: string, stepIndex: number, since: number, weights: Record<string, number> = {}): RolloutProgress => ({ phase, stepIndex, since, weights });

export function input(over: Partial<ReconcileInput> & Pick<ReconcileInput, 'goal' | 'observed' | 'now'>): ReconcileInput {
  return { spec: SPEC, previous: 6, config: ROLLING, readyDeadlineMs: 10_000, targetName: 'fake', progress: null, ...over };
}

/** An action as one short string, so a table reads like the target's call log. */
export const short = (a: Action): string =>
  a.kind === 'start' ? `start r${a.spec.revision}` : a.kind === 'stop' ? `stop r${a.revision}` : a.kind === 'check' ? `check ${a.route}` : a.kind === 'set-match' ? `match ${a.match === null ? 'none' : `r${a.match.revision}`}` : `weights ${a.route} ${JSON.stringify(a.weights)}`;
