import { z } from 'zod';
import { specVersion } from './version.js';

/** Specs of the steps between CI and the rollout: promotion policy, approvals, the environment lock and the backup. */

const override = z.object({ by: z.string(), reason: z.string() });

export const PromotionStepSchema = z.object({
  v: specVersion,
  environment: z.string(),
  requires: z.string(),
  services: z.array(z.string()).readonly(),
  override: override.nullable(),
});
export type PromotionStepSpec = Readonly<z.output<typeof PromotionStepSchema>>;

export const ApprovalStepSchema = z.object({
  v: specVersion,
  environment: z.string(),
  required: z.number().int().nonnegative(),
  approvers: z.array(z.string()).readonly(),
  confirmation: z.string().nullable(),
  /** How long to wait for the approvals, from when they were first asked for. */
  waitMs: z.number().nonnegative(),
  timeoutMs: z.number().nonnegative(),
});
export type ApprovalStepSpec = Readonly<z.output<typeof ApprovalStepSchema>>;

export const LockStepSchema = z.object({
  v: specVersion,
  environment: z.string(),
  timeoutMs: z.number().nonnegative(),
});
export type LockStepSpec = Readonly<z.output<typeof LockStepSchema>>;

export const BackupStepSchema = z.object({
  v: specVersion,
  environment: z.string(),
  target: z.string(),
  services: z.array(z.string()).readonly(),
  retentionMs: z.number().nonnegative(),
  timeoutMs: z.number().nonnegative(),
});
export type BackupStepSpec = Readonly<z.output<typeof BackupStepSchema>>;

/** A restore's re-apply of the target objects a backup holds (src/steps/restore-resources.ts). */
export const RestoreResourcesStepSchema = z.object({
  v: specVersion,
  environment: z.string(),
  target: z.string(),
  backupId: z.number().int().positive(),
  timeoutMs: z.number().nonnegative(),
});
export type RestoreResourcesStepSpec = Readonly<z.output<typeof RestoreResourcesStepSchema>>;
