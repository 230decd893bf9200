import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { GantryConfig } from '../../src/config/types.js';
import { planRun } from '../../src/engine/planner.js';
import { planRollback } from '../../src/engine/rollback-plan.js';
import { withResourcesStep } from '../../src/engine/restore-targets.js';
import { GantryError } from '../../src/errors/index.js';
import { STEP_KINDS, isStepKind, parseStepSpec, type StepKind } from '../../src/engine/step-specs/index.js';
import type { PlannedStep } from '../../src/domain/run.js';

function example(): GantryConfig {
  const r = parseConfigText(readFileSync('examples/volteryde/gantry.yaml', 'utf8'), 'gantry.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.config;
}

/** Every plan the reference pipeline makes: CI, each environment (with GitHub protection), and a manual rollback. */
function referencePlans(): PlannedStep[] {
  const config = example();
  const services = Object.keys(config.services);
  const trees = Object.fromEntries(services.map((s) => [s, `tree-${s}`]));
  const steps: PlannedStep[] = [...planRun({ config, services, serviceTrees: trees, environment: undefined, changeNote: 'ci', changedFiles: null }).steps];
  for (const env of Object.values(config.environments)) {
    steps.push(...planRun({ config, services, serviceTrees: trees, environment: env, changeNote: 'n', protection: { v: 1, branch: env.branch, waitMs: 1, timeoutMs: 2 } }).steps);
    const targets = env.services.filter((s) => config.services[s]?.run).map((service) => ({ service, revision: 3, release: 'c'.repeat(40), releaseId: 1, digest: 'sha256:x' }));
    steps.push(...planRollback({ config, environment: env, targets, reason: 'test' }).steps);
    // A restore of a backup that holds a kubernetes target's objects applies them first.
    const backup = { id: 7, environment: env.name, runId: null, reason: 'r', services: [], createdAt: 0, expiresAt: 1, resources: { format: 'kubernetes-yaml' as const, yaml: 'kind: Service\n', objects: ['Service/api'] } };
    steps.push(...withResourcesStep(planRollback({ config, environment: env, targets, reason: 'restore' }), backup, env.target).steps.filter((s) => s.kind === 'restore-resources'));
  }
  // The reference pipeline on a docker target with an image scan: its image and image-scan steps.
  const production = config.environments['production'];
  if (!production) throw new Error('the example has no production');
  const onDocker: GantryConfig = {
    ...config,
    targets: { ...config.targets, docker: { name: 'docker', kind: 'docker', engine: undefined, network: 'auto', port: undefined, hosts: [], boot: 1, bootTimeoutMs: undefined, endpoint: undefined } },
    environments: { ...config.environments, production: { ...production, target: 'docker', imageScan: { failOn: 'high', ignore: [] } } },
    images: { ...config.images, scanner: { command: 'trivy image --format json "$GANTRY_IMAGE"', timeoutMs: 60_000 } },
  };
  steps.push(...planRun({ config: onDocker, services, serviceTrees: trees, environment: onDocker.environments['production'], changeNote: 'n' }).steps);
  return steps;
}

/** A spec as the planner wrote it before specs were versioned: the same fields, no `v`. */
const stored = (spec: Readonly<Record<string, unknown>>): Record<string, unknown> => JSON.parse(JSON.stringify({ ...spec, v: undefined })) as Record<string, unknown>;

describe('step specs', () => {
  it('has a schema for every kind the reference pipeline plans, and every planned spec parses with it', () => {
    const steps = referencePlans();
    const kinds = new Set(steps.map((s) => s.kind));
    expect([...kinds].filter((k) => !isStepKind(k))).toEqual([]);
    expect([...STEP_KINDS].filter((k) => !kinds.has(k))).toEqual([]);
    for (const s of steps) {
      expect(s.spec.v, s.key).toBe(1);
      // As persisted: through JSON, which drops undefined fields.
      expect(() => parseStepSpec(s.kind as StepKind, s.key, JSON.parse(JSON.stringify(s.spec)))).not.toThrow();
    }
  });

  it('reads a spec stored before specs had a version as version 1', () => {
    for (const s of referencePlans()) {
      const old = stored(s.spec);
      expect(old.v).toBeUndefined();
      const parsed = parseStepSpec(s.kind as StepKind, s.key, old);
      expect(parsed.v, s.key).toBe(1);
    }
    // Literally as an older server stored a lock step and an approval step.
    expect(parseStepSpec('environment-lock', 'lock:dev', { environment: 'dev', timeoutMs: 86_400_000 })).toEqual({ v: 1, environment: 'dev', timeoutMs: 86_400_000 });
    expect(parseStepSpec('approval', 'approval:production', { environment: 'production', required: 2, approvers: [], confirmation: 'DEPLOY TO PRODUCTION', waitMs: 1, timeoutMs: 2 }).required).toBe(2);
  });

  it('refuses a spec that does not match its kind with STEP_SPEC_INVALID naming the kind, the key and each wrong field', () => {
    const bad = (): unknown => parseStepSpec('deploy', 'deploy:dev:api', { v: 1, environment: 'dev', target: 'local', service: 'api', command: 7 });
    expect(bad).toThrow(GantryError);
    try {
      bad();
    } catch (error: unknown) {
      expect(error).toBeInstanceOf(GantryError);
      const e = error as GantryError;
      expect(e.code).toBe('STEP_SPEC_INVALID');
      expect(e.message).toContain('deploy step deploy:dev:api');
      expect(e.message).toMatch(/command: .*expected string/);
      expect(e.message).toContain('strategy:');
      expect(e.details?.fields).toEqual(expect.arrayContaining([expect.stringMatching(/^health: /)]));
    }
    expect(() => parseStepSpec('environment-lock', 'lock:dev', { v: 2, environment: 'dev', timeoutMs: 1 })).toThrow(/lock:dev.*v: /);
  });
});
