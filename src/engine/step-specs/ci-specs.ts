import { z } from 'zod';
import { BuildConfigSchema, GateConfigSchema, ScanConfigSchema } from './config-parts.js';
import { specVersion } from './version.js';

/** Specs of the steps that check and build a commit: the security scan, the gates, the build and GitHub's branch protection. */

export const ScanStepSchema = z.object({
  v: specVersion,
  /** Files to scan for secrets; null: every tracked file under `paths` (no base to diff against: the whole repository). */
  files: z.array(z.string()).readonly().nullable(),
  paths: z.array(z.string()).readonly(),
  /** Changed services, whose dependencies are audited. */
  services: z.array(z.object({ name: z.string(), path: z.string() })).readonly(),
  scan: ScanConfigSchema,
});
export type ScanStepSpec = Readonly<z.output<typeof ScanStepSchema>>;

export const GateStepSchema = z.object({
  v: specVersion,
  service: z.string(),
  servicePath: z.string(),
  gate: GateConfigSchema,
  secrets: z.array(z.string()).readonly(),
  /**
   * The environment whose secrets the gate gets; null: shared ones only. A gate runs before the
   * approvals of a production-like environment, so it never gets that environment's secrets.
   */
  secretScope: z.string().nullable().optional(),
  cacheKey: z.string(),
  timeoutMs: z.number().nonnegative(),
});
export type GateStepSpec = Readonly<z.output<typeof GateStepSchema>>;

export const BuildStepSchema = z.object({
  v: specVersion,
  service: z.string(),
  servicePath: z.string(),
  treeKey: z.string(),
  build: BuildConfigSchema,
  /** Redeploy of an earlier release: its artifacts must already exist; nothing is built. */
  mustExist: z.boolean(),
  timeoutMs: z.number().nonnegative(),
});
export type BuildStepSpec = Readonly<z.output<typeof BuildStepSchema>>;

export const ProtectionStepSchema = z.object({
  v: specVersion,
  branch: z.string(),
  /** How long to wait for the webhook's verdict on the pushed commit. */
  waitMs: z.number().nonnegative(),
  timeoutMs: z.number().nonnegative(),
});
export type ProtectionStepSpec = Readonly<z.output<typeof ProtectionStepSchema>>;
