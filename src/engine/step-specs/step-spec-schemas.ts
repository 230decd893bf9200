import type { z } from 'zod';
import { BuildStepSchema, GateStepSchema, ProtectionStepSchema, ScanStepSchema, type BuildStepSpec, type GateStepSpec, type ProtectionStepSpec, type ScanStepSpec } from './ci-specs.js';
import { ImageScanStepSchema, type ImageScanStepSpec } from './image-scan-spec.js';
import { ImageStepSchema, type ImageStepSpec } from './image-spec.js';
import { ApprovalStepSchema, BackupStepSchema, LockStepSchema, PromotionStepSchema, RestoreResourcesStepSchema, type ApprovalStepSpec, type BackupStepSpec, type LockStepSpec, type PromotionStepSpec, type RestoreResourcesStepSpec } from './release-specs.js';
import {
  DeployStepSchema,
  FinalizeStepSchema,
  RollbackStepSchema,
  VerifyStepSchema,
  WatchStepSchema,
  type DeployStepSpec,
  type FinalizeStepSpec,
  type RollbackStepSpec,
  type VerifyStepSpec,
  type WatchStepSpec,
} from './rollout-specs.js';
import type { StepKind } from './step-kind.js';

/** The parsed spec of each step kind. */
export interface StepSpecs {
  readonly scan: ScanStepSpec;
  readonly gate: GateStepSpec;
  readonly build: BuildStepSpec;
  readonly image: ImageStepSpec;
  readonly 'image-scan': ImageScanStepSpec;
  readonly protection: ProtectionStepSpec;
  readonly promotion: PromotionStepSpec;
  readonly approval: ApprovalStepSpec;
  readonly 'environment-lock': LockStepSpec;
  readonly backup: BackupStepSpec;
  readonly 'restore-resources': RestoreResourcesStepSpec;
  readonly deploy: DeployStepSpec;
  readonly verify: VerifyStepSpec;
  readonly watch: WatchStepSpec;
  readonly finalize: FinalizeStepSpec;
  readonly rollback: RollbackStepSpec;
}

/**
 * One schema per step kind. The mapped type makes a kind without a schema, or a schema whose
 * output is not its kind's spec, a compile error, and lets a generic reader stay typed.
 */
export const STEP_SPEC_SCHEMAS: { readonly [K in StepKind]: z.ZodType<StepSpecs[K], unknown> } = {
  scan: ScanStepSchema,
  gate: GateStepSchema,
  build: BuildStepSchema,
  image: ImageStepSchema,
  'image-scan': ImageScanStepSchema,
  protection: ProtectionStepSchema,
  promotion: PromotionStepSchema,
  approval: ApprovalStepSchema,
  'environment-lock': LockStepSchema,
  backup: BackupStepSchema,
  'restore-resources': RestoreResourcesStepSchema,
  deploy: DeployStepSchema,
  verify: VerifyStepSchema,
  watch: WatchStepSchema,
  finalize: FinalizeStepSchema,
  rollback: RollbackStepSchema,
};
