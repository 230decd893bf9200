import type { Step } from '../../domain/run.js';
import { GantryError } from '../../errors/index.js';
import { parseStepSpec } from './parse-step-spec.js';
import type { StepKind } from './step-kind.js';
import type { StepSpecs } from './step-spec-schemas.js';

/**
 * A step handler's typed view of its spec: `const spec = specOf(ctx, 'deploy')`. The executor has
 * already parsed the spec before calling the handler (a bad one failed the step there), so this
 * only fails when a handler reads a step of another kind, which is a bug.
 */
export function specOf<K extends StepKind>(ctx: { readonly step: Pick<Step, 'kind' | 'key' | 'spec'> }, kind: K): StepSpecs[K] {
  if (ctx.step.kind !== kind) throw new GantryError('INTERNAL', `step ${ctx.step.key} is a ${ctx.step.kind} step, read as ${kind}`, { hint: 'This is a bug in Gantry; please report it.' });
  return parseStepSpec(kind, ctx.step.key, ctx.step.spec);
}
