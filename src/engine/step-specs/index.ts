export { STEP_KINDS, isStepKind, type StepKind } from './step-kind.js';
export { STEP_SPEC_VERSION } from './version.js';
export { STEP_SPEC_SCHEMAS, type StepSpecs } from './step-spec-schemas.js';
export { parseStepSpec } from './parse-step-spec.js';
export type { BuildStepSpec, GateStepSpec, ProtectionStepSpec, ScanStepSpec } from './ci-specs.js';
export type { ApprovalStepSpec, BackupStepSpec, LockStepSpec, PromotionStepSpec } from './release-specs.js';
export type { DeployStepSpec, FinalizeStepSpec, RollbackStepSpec, VerifyStepSpec, WatchStepSpec } from './rollout-specs.js';
export type { TypedPlannedStep } from './typed-planned-step.js';
export { specOf } from './spec-of.js';
