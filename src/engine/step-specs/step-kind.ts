/**
 * Every kind of step a plan may hold. The planners build only these, the executor parses each
 * one's spec with its kind's schema (./index.ts), and the server registers one handler per kind.
 */
export const STEP_KINDS = [
  'scan',
  'gate',
  'build',
  'image',
  'image-scan',
  'protection',
  'promotion',
  'approval',
  'environment-lock',
  'backup',
  'restore-resources',
  'deploy',
  'verify',
  'watch',
  'finalize',
  'rollback',
] as const;

export type StepKind = (typeof STEP_KINDS)[number];

const KINDS: ReadonlySet<string> = new Set(STEP_KINDS);

export const isStepKind = (kind: string): kind is StepKind => KINDS.has(kind);
