import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { decidePush, mergedHeads, protectionFor, type CommitSignature, type RefUpdate } from '../../domain/push-policy.js';
import { missingChecks } from '../../engine/missing-checks.js';
import { verifyCommitSignatures } from '../../sources/git/verify-signature.js';
import type { ServerContext } from '../context.js';
import { parseInput } from '../../kernel/http/validate.js';
import type { ApiRoute } from '../openapi/api-route.js';

const Sha = z.string().regex(/^[0-9a-f]{40}$/, 'must be a 40-hex commit id');
const MAX_COMMITS = 2_000;

const CheckBody = z.strictObject({
  ref: z.string().min(1),
  old: Sha,
  new: Sha,
  forced: z.boolean().default(false),
  parents: z.array(Sha).max(64).default([]),
  commits: z.array(z.strictObject({ sha: Sha, raw: z.string().describe('base64 of `git cat-file commit <sha>`') })).max(MAX_COMMITS).default([]),
  // Left out by hooks installed before `upToDate` was enforced; the policy then refuses with a hint.
  containsOld: z.array(Sha).max(64).optional().describe('The other parents of `new` that contain `old`.'),
});

export const pushCheckApi: readonly ApiRoute[] = [
  { method: 'POST', url: '/api/v1/sources/check-push', operationId: 'checkPush', tag: 'sources', summary: 'Judge a ref update against branch protection (the pre-receive hook calls it)', body: CheckBody },
];

/**
 * Called by the pre-receive hook (`gantry hook install`) once per ref update, before git accepts it.
 *
 * Design: the pushed objects sit in the bare repository's quarantine, visible only to git commands
 * the hook itself runs, so the HOOK gathers the facts (forced? from `merge-base --is-ancestor`, the
 * parents of the new head, and the raw commit objects old..new) and the SERVER decides: it owns the
 * branch protection, which heads are green, and the trusted keys. Signatures are checked by writing
 * the raw objects into a scratch repository with a private GNUPGHOME (verify-signature.ts); a
 * commit id is recomputed from its content there, so the hook cannot vouch for a commit it forged.
 * The hook trusts the hook token, as the post-receive hook does. `upToDate` is judged on the hook's
 * `containsOld` (which merged heads contain the branch's head), `requiredChecks` on the gate steps
 * the store holds for each merged head (engine/missing-checks.ts).
 */
export function pushCheckRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/api/v1/sources/check-push', { bodyLimit: 16 * 1024 * 1024 }, async (request) => {
    const body = parseInput(CheckBody, request.body, 'body');
    const config = ctx.config();
    const branch = body.ref.startsWith('refs/heads/') ? body.ref.slice('refs/heads/'.length) : undefined;
    const protection = branch === undefined ? undefined : protectionFor(config.branches, branch);
    const greenHeads = new Set((await ctx.store.branches.all()).flatMap((b) => (b.lastGreenSha ? [b.lastGreenSha] : [])));
    let signatures: CommitSignature[] = [];
    if (protection?.signedCommits) {
      signatures = await verifyCommitSignatures(
        body.commits.map((c) => ({ sha: c.sha, raw: Buffer.from(c.raw, 'base64') })),
        config.signing.trustedKeys,
      );
    }
    const update: RefUpdate = { ref: body.ref, old: body.old, new: body.new, forced: body.forced, parents: body.parents };
    const missing = new Map<string, string[]>();
    const checks = protection?.requiredChecks ?? [];
    if (checks.length > 0) for (const head of mergedHeads(update)) missing.set(head, await missingChecks(ctx.store, head, checks));
    const facts = { missingChecks: missing, ...(body.containsOld ? { containsOld: new Set(body.containsOld) } : {}) };
    const decision = decidePush(protection, update, greenHeads, signatures, facts);
    if (!decision.allowed) ctx.logger.info({ ref: body.ref, old: body.old, new: body.new, reason: decision.reason }, 'push refused');
    return decision;
  });
}
