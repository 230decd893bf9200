/**
 * DESIGN invariant 4: a release reaches an environment that `requires` another only after the same
 * release succeeded there. "The same release" is judged by artifact digests, not commit ids: a merge
 * commit on main carries the very artifacts that staging ran.
 */
export interface PromotionInput {
  readonly environment: string;
  readonly requires: string;
  /** service → digest about to be deployed. */
  readonly digests: Readonly<Record<string, string>>;
  /** service → digests that have a succeeded deployment in the required environment. */
  readonly succeededThere: Readonly<Record<string, readonly string[]>>;
}

export type PromotionVerdict = { readonly ok: true } | { readonly ok: false; readonly missing: readonly string[]; readonly reason: string };

export function judgePromotion(input: PromotionInput): PromotionVerdict {
  const missing = Object.entries(input.digests)
    .filter(([service, digest]) => !(input.succeededThere[service] ?? []).includes(digest))
    .map(([service]) => service);
  if (missing.length === 0) return { ok: true };
  return {
    ok: false,
    missing,
    reason: `${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} not succeeded in ${input.requires} with this release; promote it through ${input.requires} first`,
  };
}
