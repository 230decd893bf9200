import type { PlannedStep } from '../../domain/run.js';
import type { StepKind } from './step-kind.js';
import type { StepSpecs } from './step-spec-schemas.js';

/**
 * A planned step whose spec is typed by its kind: what the planners build. Narrowing on `kind`
 * gives the spec's type, so code that rewrites a plan needs no cast. It is a `PlannedStep` too,
 * which is what the store persists.
 */
export type TypedPlannedStep = { readonly [K in StepKind]: Omit<PlannedStep, 'kind' | 'spec'> & { readonly kind: K; readonly spec: StepSpecs[K] } }[StepKind];
