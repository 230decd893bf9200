import { z } from 'zod';
import { HealthConfigSchema, PrometheusConfigSchema, SmokeConfigSchema, StrategyConfigSchema, VerifyConfigSchema, WatchConfigSchema } from './config-parts.js';
import { DeployImageSchema } from './image-spec.js';
import { specVersion } from './version.js';

/** Specs of the rollout: one deploy step per service, verification, the watch window, finalisation and the rollback. */

const environment = z.string();
const target = z.string();
const timeoutMs = z.number().nonnegative();
/** The region of an environment with regions (its target is the region's); absent without regions. */
const region = z.string().optional();

export const DeployStepSchema = z.object({
  v: specVersion,
  environment,
  target,
  region,
  service: z.string(),
  strategy: StrategyConfigSchema,
  command: z.string(),
  env: z.record(z.string(), z.string()),
  secrets: z.array(z.string()).readonly(),
  replicas: z.number().int().nonnegative(),
  health: HealthConfigSchema,
  smoke: z.array(SmokeConfigSchema).readonly(),
  timeoutMs,
  /** The service's image, for a target that runs images (absent: the bundle, as the local target runs it). */
  image: DeployImageSchema.optional(),
  /** Resource limits of each replica (the docker target enforces them). */
  limits: z.object({ cpus: z.number().optional(), memoryBytes: z.number().optional() }).optional(),
  /** Where PromQL metrics of a canary's analysis steps go (gantry.yaml's top-level `prometheus`); absent in plans made before canaries. */
  prometheus: PrometheusConfigSchema.optional(),
  /** A rollback deploys an earlier release's artifact instead of the run's own. */

  pinnedArtifact: z
    .object({
      release: z.string(),
      releaseId: z.number().int(),
      digest: z.string(),
      reason: z.string(),
      /** The deployment gone back to: the new revision copies its recorded spec, strategy and target (absent in plans made before they were recorded). */
      sourceDeployment: z.number().int().optional(),
    })
    .optional(),
});
export type DeployStepSpec = Readonly<z.output<typeof DeployStepSchema>>;

export const VerifyStepSchema = z.object({
  v: specVersion,
  environment,
  target,
  region,
  services: z.array(z.object({ name: z.string(), health: HealthConfigSchema, smoke: z.array(SmokeConfigSchema).readonly() })).readonly(),
  checks: z.array(VerifyConfigSchema).readonly(),
  timeoutMs,
});
export type VerifyStepSpec = Readonly<z.output<typeof VerifyStepSchema>>;

export const WatchStepSchema = z.object({
  v: specVersion,
  environment,
  target,
  region,
  services: z.array(z.string()).readonly(),
  watch: WatchConfigSchema,
  /** Where PromQL metrics of the analysis go (gantry.yaml's top-level `prometheus`). */
  prometheus: PrometheusConfigSchema,
  timeoutMs,
});
export type WatchStepSpec = Readonly<z.output<typeof WatchStepSchema>>;

export const FinalizeStepSchema = z.object({
  v: specVersion,
  environment,
  target,
  services: z.array(z.string()).readonly(),
  tag: z.boolean(),
  /** Production artifacts get immutable tags. */
  immutableTags: z.boolean(),
  timeoutMs,
});
export type FinalizeStepSpec = Readonly<z.output<typeof FinalizeStepSchema>>;

export const RollbackStepSchema = z.object({
  v: specVersion,
  environment,
  target,
  timeoutMs,
  /** An environment with regions: its waves in order and what a failure rolls back (absent without regions). */
  regions: z.object({ waves: z.array(z.array(z.string()).readonly()).readonly(), onFailure: z.enum(['rollback-all', 'stop']) }).optional(),
});
export type RollbackStepSpec = Readonly<z.output<typeof RollbackStepSchema>>;
