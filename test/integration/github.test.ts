import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import examples from '@octokit/webhooks-examples';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { registerSecret } from '../support/sweep.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { lintOnlyConfig } from '../support/ci-config.js';
import { pullRequestEvent, reviewEvent, type PullRequestFacts } from '../support/github-payloads.js';

const SECRET = registerSecret('it-is-a-test-webhook-secret');
const REPO = 'Codertocat/Hello-World';

const CONFIG = lintOnlyConfig('github-test', `branches:
  main:
    protection:
      requiredApprovals: 2
      allowDirectPush: false
      allowForcePush: false
      upToDate: true
      conversationsResolved: true
      signedCommits: true
      requiredChecks: [ci/gantry]
github:
  repo: ${REPO}
  webhookSecret: { secret: GITHUB_WEBHOOK_SECRET }
`);

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);

/**
 * Real payloads from @octokit/webhooks-examples. The collection has no merged `closed` pull request
 * and no `approved` review, so the real `closed` and `submitted` examples are taken and only the
 * fields this test is about are changed (merged, merge_commit_sha, review state, reviewer, ids).
 */
function example(name: string, pick: (e: Json) => boolean): Json {
  const def = (examples as unknown as Array<{ name: string; examples: Json[] }>).find((d) => d.name === name);
  const found = def?.examples.find(pick);
  if (!found) throw new Error(`no ${name} example`);
  return clone(found);
}
const obj = (v: unknown): Json => v as Json;

const heads = new Map<number, string>();
function mergedPullRequest(number: number, mergeSha: string, headSha: string): Json {
  heads.set(number, headSha);
  const e = example('pull_request', (x) => x.action === 'closed');
  const pr = obj(e.pull_request);
  Object.assign(pr, { number, merged: true, merge_commit_sha: mergeSha });
  Object.assign(obj(pr.head), { sha: headSha });
  Object.assign(obj(pr.base), { ref: 'main' });
  e.number = number;
  return e;
}

let reviewId = 9_000;
/** A review event also carries its pull request (as it is now): the same head as the merged one. */
function approval(number: number, reviewer: string, state = 'approved', at = '2024-05-01T10:00:00Z'): Json {
  const e = example('pull_request_review', (x) => x.action === 'submitted');
  const pr = obj(e.pull_request);
  Object.assign(pr, { number });
  Object.assign(obj(pr.head), { sha: heads.get(number) ?? sha(number + 1) });
  Object.assign(obj(pr.base), { ref: 'main' });
  const review = obj(e.review);
  Object.assign(review, { id: (reviewId += 1), state, submitted_at: at, user: { ...obj(review.user), login: reviewer } });
  return e;
}

function pushTo(branch: string, after: string): Json {
  const e = example('push', (x) => x.ref === 'refs/heads/master');
  Object.assign(e, { ref: `refs/heads/${branch}`, before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', after });
  Object.assign(obj(e.head_commit), { id: after });
  return e;
}

const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const sha = (n: number) => n.toString(16).padStart(40, 'a');

describe('the GitHub webhook and gantry github protect', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let root = '';
  let delivery = 0;

  const deliver = async (event: string, payload: Json, options: { id?: string; signature?: string | null } = {}) => {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': options.id ?? `delivery-${(delivery += 1)}` };
    if (options.signature !== null) headers['x-hub-signature-256'] = options.signature ?? sign(body);
    // No Authorization header: the webhook is authenticated by its signature alone.
    const res = await t.server.app.inject({ method: 'POST', url: '/api/v1/github/webhook', headers, payload: body });
    return { status: res.statusCode, body: res.json<Json>() };
  };

  beforeAll(async () => {
    root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/x.js': 'export {};\n' });
    t = await startTestServer(root, repo, CONFIG);
    // The secret goes where an operator puts it: the shared scope of the encrypted secret store.
    const put = await t.server.app.inject({ method: 'PUT', url: '/api/v1/secrets/shared/GITHUB_WEBHOOK_SECRET', headers: { authorization: `Bearer ${t.token}` }, payload: { value: SECRET } });
    expect(put.statusCode).toBeLessThan(300);
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('refuses a bad or missing signature with 401, and changes nothing', async () => {
    const payload = mergedPullRequest(40, sha(40), sha(41));
    const bad = await deliver('pull_request', payload, { signature: sign(JSON.stringify(payload), 'another-secret') });
    expect(bad).toMatchObject({ status: 401, body: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
    expect((await deliver('pull_request', payload, { signature: null })).status).toBe(401);
    expect((await deliver('pull_request', payload, { signature: 'sha256=00' })).status).toBe(401);
    // a well-signed body that was changed on the way
    const tampered = await t.server.app.inject({ method: 'POST', url: '/api/v1/github/webhook', headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': 'tampered', 'x-hub-signature-256': sign(JSON.stringify(payload)) }, payload: JSON.stringify(payload) + ' ' });
    expect(tampered.statusCode).toBe(401);
    const push = await deliver('push', pushTo('main', sha(40)));
    expect(push.body).toMatchObject({ accepted: false, reason: expect.stringMatching(/not the merge commit of a merged pull request/) });
  });

  it('ignores a replayed delivery id', async () => {
    const first = await deliver('pull_request', mergedPullRequest(50, sha(50), sha(51)), { id: 'replayed-id' });
    expect(first).toMatchObject({ status: 200, body: { recorded: 'pull_request', number: 50 } });
    const again = await deliver('pull_request_review', approval(50, 'alice'), { id: 'replayed-id' });
    expect(again).toEqual({ status: 200, body: { ignored: 'replay' } });
    // the replayed review was not recorded: no approval counts
    const push = await deliver('push', pushTo('main', sha(50)));
    expect(push.body.reason).toMatch(/has 0 approving reviews/);
  });

  it('accepts a push to main whose merge PR has 2 approvals from non-authors and a succeeded run', async () => {
    // requiredChecks: Gantry's own run for the PR's head sha must have succeeded
    const dispatched = await t.api<{ run: { id: number; sha: string } }>('POST', '/api/v1/dispatch', { environment: 'dev' });
    const run = await t.finished(dispatched.body.run.id);
    expect(run.run.state).toBe('succeeded');
    const head = dispatched.body.run.sha;
    expect((await deliver('pull_request', mergedPullRequest(60, sha(60), head))).status).toBe(200);
    expect((await deliver('pull_request_review', approval(60, 'alice'))).body).toMatchObject({ recorded: 'pull_request_review', state: 'approved' });
    expect((await deliver('pull_request_review', approval(60, 'bob'))).status).toBe(200);
    const push = await deliver('push', pushTo('main', sha(60)));
    expect(push).toEqual({ status: 200, body: { accepted: true, branch: 'main', sha: sha(60), pullRequest: 60 } });
  });

  it('refuses a push with 1 approval, with an approval by the author, or with an approval withdrawn later', async () => {
    await deliver('pull_request', mergedPullRequest(70, sha(70), sha(71)));
    await deliver('pull_request_review', approval(70, 'alice'));
    const one = await deliver('push', pushTo('main', sha(70)));
    expect(one).toEqual({ status: 202, body: { accepted: false, branch: 'main', sha: sha(70), reason: 'pull request #70 has 1 approving review from someone other than its author (alice); main needs 2' } });

    // Codertocat is the author of the example pull request
    await deliver('pull_request_review', approval(70, 'Codertocat'));
    const byAuthor = await deliver('push', pushTo('main', sha(70)));
    expect(byAuthor.status).toBe(202);
    expect(byAuthor.body.reason).toBe('pull request #70 has 1 approving review from someone other than its author (alice); main needs 2; an approval by the author Codertocat does not count');

    // the latest review per user counts: bob approves, then requests changes
    await deliver('pull_request_review', approval(70, 'bob', 'approved', '2024-05-01T11:00:00Z'));
    await deliver('pull_request_review', approval(70, 'bob', 'changes_requested', '2024-05-01T12:00:00Z'));
    expect((await deliver('push', pushTo('main', sha(70)))).body.accepted).toBe(false);

    const events = await t.api<{ events: Array<{ kind: string; data: Json }> }>('GET', '/api/v1/audit');
    expect(JSON.stringify(events.body)).toContain('github.push.refused');
  });

  it('refuses a push whose PR has approvals but no succeeded Gantry run for its head', async () => {
    await deliver('pull_request', mergedPullRequest(80, sha(80), sha(81)));
    await deliver('pull_request_review', approval(80, 'alice'));
    await deliver('pull_request_review', approval(80, 'bob'));
    const push = await deliver('push', pushTo('main', sha(80)));
    expect(push.status).toBe(202);
    expect(push.body.reason).toMatch(/^pull request #80: no succeeded Gantry run for its head aaaaaaa; main requires checks ci\/gantry$/);
  });

  /** The store's view of what the webhook recorded: audit events, pull requests, reviews, delivery ids. */
  const recorded = async (): Promise<string> => {
    const tables = ['events', 'github_pull_requests', 'github_reviews', 'github_deliveries'];
    return JSON.stringify(await Promise.all(tables.map(async (table) => (await sql`select * from ${sql.table(table)}`.execute(t.server.store.db)).rows)));
  };

  it('answers 400 naming the field for a signed payload that lacks one, and records nothing', async () => {
    const base = recorded();
    const pr: PullRequestFacts = { number: 95, author: 'Codertocat', headSha: sha(96), base: 'main', updatedAt: '2024-06-01T10:00:00Z' };
    const cases: Array<[string, Json, string]> = [];
    const noHead = pullRequestEvent(pr, sha(95));
    delete obj(obj(noHead.pull_request).head).sha;
    cases.push(['pull_request', noHead, 'pull_request.head.sha is missing (expected string)']);
    const textNumber = pullRequestEvent(pr, sha(95));
    obj(textNumber.pull_request).number = '95';
    cases.push(['pull_request', textNumber, 'pull_request.number is a string (expected number)']);
    const noUpdatedAt = pullRequestEvent(pr, sha(95));
    delete obj(noUpdatedAt.pull_request).updated_at;
    cases.push(['pull_request', noUpdatedAt, 'pull_request.updated_at is missing (expected string)']);
    const noReviewId = reviewEvent(pr, { id: 9_501, reviewer: 'alice', state: 'approved', submittedAt: '2024-06-01T10:01:00Z' });
    delete obj(noReviewId.review).id;
    cases.push(['pull_request_review', noReviewId, 'review.id is missing (expected number)']);
    const noRepository = reviewEvent(pr, { id: 9_502, reviewer: 'bob', state: 'approved', submittedAt: '2024-06-01T10:01:00Z' });
    delete noRepository.repository;
    cases.push(['pull_request_review', noRepository, 'repository is missing (expected object)']);
    const noAfter = pushTo('main', sha(95));
    delete noAfter.after;
    cases.push(['push', noAfter, 'after is missing (expected string)']);
    for (const [event, payload, problem] of cases) {
      const field = problem.split(' ')[0] ?? '';
      const answer = await deliver(event, payload, { id: `invalid-${field}` });
      expect(answer, field).toMatchObject({ status: 400, body: { code: 'WEBHOOK_PAYLOAD_INVALID', message: `the ${event} payload is not as GitHub sends it: ${problem}`, fields: [field], hint: expect.any(String) } });
      expect(JSON.stringify(answer.body), field).not.toMatch(/constraint|\.ts:\d+|INTERNAL/);
    }
    expect(await recorded()).toBe(await base);
    // the delivery id was not kept: the corrected delivery under the same id is handled
    const fixed = await deliver('pull_request', pullRequestEvent(pr, sha(95)), { id: 'invalid-pull_request.head.sha' });
    expect(fixed).toMatchObject({ status: 200, body: { recorded: 'pull_request', number: 95 } });
  });

  it('answers 400 "empty body" for an empty delivery with a correct signature, and 401 with a wrong one', async () => {
    const base = await recorded();
    const send = (signature: string) =>
      t.server.app.inject({ method: 'POST', url: '/api/v1/github/webhook', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'empty-body', 'x-hub-signature-256': signature }, payload: '' });
    const empty = await send(sign(''));
    expect(empty.statusCode).toBe(400);
    expect(empty.json<Json>()).toMatchObject({ code: 'WEBHOOK_PAYLOAD_INVALID', message: 'the push delivery empty-body has an empty body (its signature matches the secret)' });
    const forged = await send(sign('', 'another-secret'));
    expect(forged.statusCode).toBe(401);
    expect(forged.json<Json>()).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    expect(await recorded()).toBe(base);
  });

  it('keeps a dismissed review dismissed when its captured approval is re-sent with a new delivery id', async () => {
    const pr: PullRequestFacts = { number: 90, author: 'Codertocat', headSha: sha(91), base: 'main', updatedAt: '2024-06-01T10:00:00Z' };
    expect((await deliver('pull_request', pullRequestEvent(pr, sha(90)))).status).toBe(200);
    const captured = reviewEvent({ ...pr, updatedAt: '2024-06-01T10:01:00Z' }, { id: 9_001_001, reviewer: 'alice', state: 'approved', submittedAt: '2024-06-01T10:01:00Z' });
    expect((await deliver('pull_request_review', captured, { id: 'alice-approves' })).body).toMatchObject({ recorded: 'pull_request_review', state: 'approved' });
    await deliver('pull_request_review', reviewEvent({ ...pr, updatedAt: '2024-06-01T10:02:00Z' }, { id: 9_001_002, reviewer: 'bob', state: 'approved', submittedAt: '2024-06-01T10:02:00Z' }));
    // two approvals: what is missing now is only the checks
    expect((await deliver('push', pushTo('main', sha(90)))).body.reason).toMatch(/^pull request #90: no succeeded Gantry run/);

    const dismissal = reviewEvent({ ...pr, updatedAt: '2024-06-01T10:03:00Z' }, { id: 9_001_001, reviewer: 'alice', state: 'dismissed', submittedAt: '2024-06-01T10:01:00Z' });
    expect((await deliver('pull_request_review', dismissal)).body).toMatchObject({ recorded: 'pull_request_review', state: 'dismissed' });
    const oneLeft = 'pull request #90 has 1 approving review from someone other than its author (bob); main needs 2';
    expect((await deliver('push', pushTo('main', sha(90)))).body.reason).toBe(oneLeft);

    // the captured approval, byte for byte with its valid signature, under a new delivery id
    const base = await recorded();
    const replay = await deliver('pull_request_review', captured, { id: 'alice-approves-again' });
    expect(replay).toEqual({
      status: 409,
      body: {
        code: 'WEBHOOK_EVENT_STALE',
        message: 'review 9001001 by alice on pull request #90 is recorded as dismissed; this delivery says approved, an earlier state (a dismissed review stays dismissed)',
        hint: expect.stringContaining('Nothing changed'),
      },
    });
    expect(await recorded()).toBe(base);
    const push = await deliver('push', pushTo('main', sha(90)));
    expect(push).toMatchObject({ status: 202, body: { accepted: false, reason: oneLeft } });

    // an older state of the pull request itself (opened, not merged) is refused too; the merge stays known
    const older = await deliver('pull_request', pullRequestEvent({ ...pr, updatedAt: '2024-06-01T09:00:00Z' }));
    expect(older).toMatchObject({ status: 409, body: { code: 'WEBHOOK_EVENT_STALE', message: 'pull request #90 is recorded as updated at 2024-06-01T10:03:00.000Z; this delivery shows it at 2024-06-01T09:00:00.000Z, an older state' } });
    expect((await deliver('push', pushTo('main', sha(90)))).body.reason).toBe(oneLeft);
  });

  /**
   * `gantry github protect` against a LOCAL stand-in for api.github.com: it records the requests
   * and checks them against GitHub's documented branch protection API (docs.github.com/rest/branches/
   * branch-protection: "Update branch protection", "Create commit signature protection").
   */
  it('gantry github protect sends the documented branch protection requests', async () => {
    const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
    const api: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const port = (api.address() as AddressInfo).port;
    const file = join(root, 'protect-gantry.yaml');
    await writeFile(file, `${CONFIG}  apiUrl: http://127.0.0.1:${port}\n`.replace('url: .', `url: ${root}`));
    const previous = process.env.GITHUB_TOKEN;
    process.env.GITHUB_TOKEN = registerSecret('ghp_test_token');
    let code = -1;
    try {
      await buildProgram((c) => (code = c)).parseAsync(['node', 'gantry', '-c', file, '-o', 'json', 'github', 'protect']);
    } finally {
      if (previous === undefined) delete process.env.GITHUB_TOKEN;
      else process.env.GITHUB_TOKEN = previous;
      await new Promise<void>((resolve) => api.close(() => resolve()));
    }
    expect(code).toBe(0);
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['PUT /repos/Codertocat/Hello-World/branches/main/protection', 'POST /repos/Codertocat/Hello-World/branches/main/protection/required_signatures']);
    for (const r of seen) {
      // @octokit/auth-token's scheme for a token; GitHub takes `token` and `Bearer` alike
      expect(r.headers.authorization).toBe('token ghp_test_token');
      expect(r.headers.accept).toBe('application/vnd.github+json');
      expect(r.headers['x-github-api-version']).toBe('2022-11-28');
    }
    const put = JSON.parse(seen[0]?.body ?? '{}') as Json;
    // the four required (nullable) fields, and the optional ones gantry.yaml decides
    expect(put).toEqual({
      required_status_checks: { strict: true, checks: [{ context: 'ci/gantry' }] },
      enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 2, dismiss_stale_reviews: true },
      restrictions: null,
      allow_force_pushes: false,
      allow_deletions: false,
      required_conversation_resolution: true,
    });
    expect(seen[0]?.headers['content-type']).toMatch(/^application\/json/);
  });
});
