import { createHmac } from 'node:crypto';
import examples from '@octokit/webhooks-examples';

/**
 * GitHub webhook deliveries for tests that talk to a real server over HTTP. Every payload starts as
 * a real one from @octokit/webhooks-examples (repository Codertocat/Hello-World); only the fields a
 * test is about are changed (numbers, shas, people, states, times).
 */
export type Json = Record<string, unknown>;

export const EXAMPLE_REPO = 'Codertocat/Hello-World';

const obj = (v: unknown): Json => v as Json;

export function example(name: string, pick: (e: Json) => boolean): Json {
  const def = (examples as unknown as Array<{ name: string; examples: Json[] }>).find((d) => d.name === name);
  const found = def?.examples.find(pick);
  if (!found) throw new Error(`no ${name} example`);
  return structuredClone(found);
}

export interface PullRequestFacts {
  readonly number: number;
  readonly author: string;
  readonly headSha: string;
  readonly base: string;
  /** GitHub's `updated_at` of the pull request as this event shows it. */
  readonly updatedAt: string;
}

function shape(pr: Json, f: PullRequestFacts): void {
  Object.assign(pr, { number: f.number, updated_at: f.updatedAt, user: { ...obj(pr.user), login: f.author } });
  Object.assign(obj(pr.head), { sha: f.headSha });
  Object.assign(obj(pr.base), { ref: f.base });
}

/** `pull_request` opened, or closed and merged with `mergeSha` as its merge commit. */
export function pullRequestEvent(f: PullRequestFacts, mergeSha?: string): Json {
  const e = example('pull_request', (x) => x.action === (mergeSha ? 'closed' : 'opened'));
  const pr = obj(e.pull_request);
  shape(pr, f);
  Object.assign(pr, mergeSha ? { merged: true, merge_commit_sha: mergeSha, state: 'closed' } : { merged: false, merge_commit_sha: null });
  e.number = f.number;
  return e;
}

/** `pull_request_review` submitted (state approved, changes_requested, commented) or dismissed. */
export function reviewEvent(f: PullRequestFacts, review: { id: number; reviewer: string; state: string; submittedAt: string }): Json {
  const dismissed = review.state === 'dismissed';
  const e = example('pull_request_review', (x) => x.action === (dismissed ? 'dismissed' : 'submitted'));
  shape(obj(e.pull_request), f);
  const r = obj(e.review);
  Object.assign(r, { id: review.id, state: review.state, submitted_at: review.submittedAt, commit_id: f.headSha, user: { ...obj(r.user), login: review.reviewer } });
  return e;
}

/** `push` of `after` to a branch. */
export function pushEvent(branch: string, before: string, after: string): Json {
  const e = example('push', (x) => x.ref === 'refs/heads/master');
  Object.assign(e, { ref: `refs/heads/${branch}`, before, after });
  Object.assign(obj(e.head_commit), { id: after });
  return e;
}

export const signature = (body: string, secret: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

let deliveries = 0;

/** POSTs a delivery to a real server as GitHub does (no Gantry token: the signature authenticates it). */
export async function deliver(serverUrl: string, secret: string, event: string, payload: Json | string, id = `delivery-${process.pid}-${(deliveries += 1)}`): Promise<{ status: number; body: Json }> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const res = await fetch(`${serverUrl}/api/v1/github/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': id, 'x-hub-signature-256': signature(body, secret), 'user-agent': 'GitHub-Hookshot/test' },
    body,
  });
  return { status: res.status, body: (await res.json()) as Json };
}
