/** The parts of a branch's protection (gantry.yaml `branches`) a push is judged by; domain imports nothing of ours. */
export interface PushProtection {
  readonly allowDirectPush: boolean;
  readonly allowForcePush: boolean;
  readonly signedCommits: boolean;
  /** `<service>/<gate>` names that must have passed on every merged head. */
  readonly requiredChecks?: readonly string[];
  /** Every merged head must contain the branch's current head. */
  readonly upToDate?: boolean;
}
import { branchMatches } from './branch.js';

/** git's name for "no commit": the old side of a created ref, the new side of a deleted one. */
export const ZERO_SHA = '0000000000000000000000000000000000000000';

/** One ref update of a push, with the facts the pre-receive hook read from the bare repository. */
export interface RefUpdate {
  readonly ref: string;
  readonly old: string;
  readonly new: string;
  /** `old` is not an ancestor of `new`: the push rewrites history. */
  readonly forced: boolean;
  /** The parents of `new`, first parent first (empty for a deletion). */
  readonly parents: readonly string[];
}

/** What signature verification found for one new commit (src/sources/git/verify-signature.ts). */
export interface CommitSignature {
  readonly sha: string;
  readonly signed: boolean;
  /** Signed by one of the trusted keys of gantry.yaml `signing.trustedKeys`. */
  readonly trusted: boolean;
  /** The signing key's fingerprint, when the signature could be read. */
  readonly key: string | null;
}

export type PushDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const ALLOW: PushDecision = { allowed: true };
const refuse = (reason: string): PushDecision => ({ allowed: false, reason });
const short = (sha: string): string => sha.slice(0, 10);

/** The protection of a branch: an exact pattern wins, then the first matching glob in file order. */
export function protectionFor(branches: Readonly<Record<string, { readonly protection: PushProtection }>>, branch: string): PushProtection | undefined {
  const exact = branches[branch];
  if (exact) return exact.protection;
  return Object.entries(branches).find(([pattern]) => branchMatches(pattern, branch))?.[1].protection;
}

/**
 * Whether `new` only brings in work whose CI passed: a merge commit whose other parents are green
 * branch heads, or a fast-forward to a green head.
 */
export function isMergeOfGreen(update: RefUpdate, greenHeads: ReadonlySet<string>): boolean {
  if (greenHeads.has(update.new)) return true;
  const others = update.parents.slice(1);
  return others.length > 0 && others.every((p) => greenHeads.has(p));
}

/**
 * What the server found about the heads a push merges (see mergedHeads), beyond green heads:
 * facts for `upToDate` and `requiredChecks`.
 */
export interface MergeFacts {
  /** Merged heads that contain `old`, as the hook found them; undefined from a hook too old to say. */
  readonly containsOld?: ReadonlySet<string>;
  /** For each merged head, the required checks that have not passed on it (absent: none missing). */
  readonly missingChecks?: ReadonlyMap<string, readonly string[]>;
}

/** The heads a push brings in: the other parents of a merge commit, else the new head itself. */
export function mergedHeads(update: RefUpdate): string[] {
  return update.parents.length > 1 ? update.parents.slice(1) : [update.new];
}

function upToDate(update: RefUpdate, branch: string, facts: MergeFacts): PushDecision {
  // A new branch has no head to be behind; a fast-forward contains the old head by definition.
  if (update.old === ZERO_SHA || update.parents.length < 2) return ALLOW;
  if (!facts.containsOld) return refuse(`${branch} requires merged branches to be up to date, and the installed pre-receive hook does not report it; run \`gantry hook install\` again`);
  const behind = mergedHeads(update).find((h) => !facts.containsOld?.has(h));
  return behind ? refuse(`${short(behind)} is not up to date with ${branch} (it does not contain ${short(update.old)}, the head of ${branch}); merge or rebase ${branch} into your branch, let its CI pass, then merge again`) : ALLOW;
}

function requiredChecks(update: RefUpdate, branch: string, facts: MergeFacts): PushDecision {
  for (const head of mergedHeads(update)) {
    const missing = facts.missingChecks?.get(head) ?? [];
    if (missing.length > 0) return refuse(`${branch} requires checks that have not passed on ${short(head)}: ${missing.join(', ')}; push that commit to a branch and let its CI pass, then merge it`);
  }
  return ALLOW;
}

/**
 * The pre-receive rules for one ref update, pure. `signatures` covers the commits the push brings
 * to the branch (old..new); it is only consulted when the branch requires signed commits.
 */
export function decidePush(protection: PushProtection | undefined, update: RefUpdate, greenHeads: ReadonlySet<string>, signatures: readonly CommitSignature[], facts: MergeFacts = {}): PushDecision {
  if (!protection || !update.ref.startsWith('refs/heads/')) return ALLOW;
  const branch = update.ref.slice('refs/heads/'.length);
  if (update.new === ZERO_SHA) {
    return protection.allowForcePush ? ALLOW : refuse(`deleting the protected branch ${branch} is not allowed (allowForcePush is false)`);
  }
  if (update.forced && !protection.allowForcePush) {
    return refuse(`force push to ${branch} refused: ${short(update.new)} does not contain ${short(update.old)} (allowForcePush is false); merge or rebase onto ${branch} instead`);
  }
  if (!protection.allowDirectPush && !isMergeOfGreen(update, greenHeads)) {
    return refuse(`direct push to the protected branch ${branch} refused: ${short(update.new)} is not a merge of a branch whose CI passed; push a branch, let its CI pass, then merge it`);
  }
  if (protection.upToDate) {
    const decision = upToDate(update, branch, facts);
    if (!decision.allowed) return decision;
  }
  if ((protection.requiredChecks ?? []).length > 0) {
    const decision = requiredChecks(update, branch, facts);
    if (!decision.allowed) return decision;
  }
  if (protection.signedCommits) {
    const unsigned = signatures.find((s) => !s.signed);
    if (unsigned) return refuse(`commit ${short(unsigned.sha)} is not signed; ${branch} requires signed commits (git commit -S)`);
    const untrusted = signatures.find((s) => !s.trusted);
    if (untrusted) return refuse(`commit ${short(untrusted.sha)} is signed by ${untrusted.key ?? 'an unknown key'}, which is not among signing.trustedKeys; ${branch} requires signed commits from a trusted key`);
  }
  return ALLOW;
}
