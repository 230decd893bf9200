import type { RevisionSpec } from '../targets/target.js';

/** A revision spec, in the form the agent may be given it or find it on disk: before `secretKeys` existed, a spec had none. */
export type IncomingRevisionSpec = Omit<RevisionSpec, 'secretKeys'> & { readonly secretKeys?: readonly string[] | undefined };

/**
 * Fills in `secretKeys` for a spec from a control plane or a state file older than the field. Which
 * env values are secrets is then unknown, so every one is taken for a secret: masking `info` in a
 * revision's log until its next deployment is a lesser harm than writing a password there.
 */
export function withSecretKeys(spec: IncomingRevisionSpec): RevisionSpec {
  return { ...spec, secretKeys: spec.secretKeys ?? Object.keys(spec.env) };
}

/** The values to mask in a revision's output. */
export function secretValuesOf(spec: RevisionSpec): string[] {
  return spec.secretKeys.flatMap((key) => {
    const value = spec.env[key];
    return value === undefined ? [] : [value];
  });
}
