import type { z } from 'zod';
import { GantryError } from '../../errors/index.js';
import { STEP_SPEC_SCHEMAS, type StepSpecs } from './step-spec-schemas.js';
import type { StepKind } from './step-kind.js';

/** `gate.timeoutMs: expected number, received string` — each wrong field by its path in the spec. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(spec)'}: ${i.message}`);
}

/**
 * Reads a stored spec with its kind's schema. A spec that does not match fails the step with
 * STEP_SPEC_INVALID naming the kind, the step key and every wrong field; it is never retried.
 */
export function parseStepSpec<K extends StepKind>(kind: K, key: string, spec: unknown): StepSpecs[K] {
  const result = STEP_SPEC_SCHEMAS[kind].safeParse(spec);
  if (result.success) return result.data;
  const fields = describeIssues(result.error.issues);
  throw new GantryError('STEP_SPEC_INVALID', `the ${kind} step ${key} has a spec that does not match its kind: ${fields.join('; ')}`, {
    where: `step ${key} (${kind})`,
    hint: 'Start the run again so it is planned afresh; a spec written by this version that fails so is a bug in Gantry, please report it.',
    details: { kind, key, fields },
  });
}
