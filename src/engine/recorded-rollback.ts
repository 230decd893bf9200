import type { DeployedSpec, Deployment } from '../domain/deployment.js';
import type { DeployStepSpec, TypedPlannedStep, VerifyStepSpec } from './step-specs/index.js';

interface Source {
  readonly service: string;
  readonly source?: Pick<Deployment, 'id' | 'spec' | 'strategy' | 'target'> | undefined;
}

type Recorded = { readonly spec: DeployedSpec; readonly strategy: NonNullable<Deployment['strategy']>; readonly target: string };

const recorded = (s: NonNullable<Source['source']>): Recorded | undefined => (s.spec && s.strategy && s.target !== null ? { spec: s.spec, strategy: s.strategy, target: s.target } : undefined);

/**
 * Rewrites the deploy and verify steps of a rollback plan (made from today's gantry.yaml) so each
 * service runs and is checked exactly as the deployment gone back to recorded: command, env, secret
 * names, replicas, health, smoke checks, strategy and target. The deploy step copies the record
 * again by id when it runs (recordToWrite); this makes the plan say the same thing. A source
 * written before deployments recorded their spec keeps today's config (nothing else is known).
 */
export function copyRecordedSpecs(steps: readonly TypedPlannedStep[], sources: readonly Source[]): TypedPlannedStep[] {
  const bySource = new Map<string, Recorded>();
  for (const s of sources) {
    const r = s.source && recorded(s.source);
    if (r) bySource.set(s.service, r);
  }
  return steps.map((step) => {
    if (step.kind === 'deploy' && step.service !== undefined) {
      const r = bySource.get(step.service);
      if (!r) return step;
      // The recorded image (by digest) is copied by the deploy step with the rest of the record; the plan keeps where images come from.
      const { image: _recordedImage, ...recorded } = r.spec;
      const copied: DeployStepSpec = { ...step.spec, ...recorded, strategy: r.strategy, target: r.target };
      return { ...step, spec: copied };
    }
    if (step.kind === 'verify') {
      const spec = step.spec;
      const services = spec.services.map((s) => {
        const r = bySource.get(s.name);
        return r ? { name: s.name, health: r.spec.health, smoke: r.spec.smoke } : s;
      });
      return { ...step, spec: { ...spec, services } satisfies VerifyStepSpec };
    }
    return step;
  });
}
