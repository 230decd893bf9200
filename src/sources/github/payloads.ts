import type { EmitterWebhookEvent } from '@octokit/webhooks';
import { z } from 'zod';

/**
 * The fields of GitHub's webhook payloads that Gantry reads, checked before anything is stored: a
 * signed delivery without them is answered 400 naming the field, never half-recorded. Unknown fields
 * pass (GitHub adds fields over time). The `Fits` checks at the end make the compiler prove that every
 * payload @octokit/webhooks' types allow for these events passes these schemas, so they never refuse
 * a real GitHub delivery by demanding more than GitHub promises.
 */
const Login = z.object({ login: z.string().min(1) });
const Sha = z.string().min(1);
/** ISO 8601 as GitHub writes it; kept as text, turned into epoch ms by `epochMs`. */
const Time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'is not a date-time');

const Repository = z.object({ full_name: z.string().min(1) });

const PullRequest = z.object({
  number: z.number().int().positive(),
  user: Login.nullable(),
  head: z.object({ sha: Sha }),
  base: z.object({ ref: z.string().min(1) }),
  updated_at: Time,
});

export const PullRequestPayload = z.object({
  action: z.string(),
  repository: Repository,
  pull_request: PullRequest.extend({ merged: z.boolean().nullable().optional(), merge_commit_sha: z.string().nullable() }),
});

export const ReviewPayload = z.object({
  action: z.string(),
  repository: Repository,
  pull_request: PullRequest,
  review: z.object({
    id: z.number().int().positive(),
    user: Login.nullable(),
    state: z.string().min(1),
    commit_id: z.string(),
    submitted_at: Time.nullable().optional(),
  }),
});

export const PushPayload = z.object({
  ref: z.string().min(1),
  before: Sha,
  after: Sha,
  deleted: z.boolean(),
  repository: Repository,
  pusher: z.object({ name: z.string() }),
});

export type PullRequestPayload = z.output<typeof PullRequestPayload>;
export type ReviewPayload = z.output<typeof ReviewPayload>;
export type PushPayload = z.output<typeof PushPayload>;

const SCHEMAS = { pull_request: PullRequestPayload, pull_request_review: ReviewPayload, push: PushPayload } as const;
export type CheckedEvent = keyof typeof SCHEMAS;
export const isCheckedEvent = (event: string): event is CheckedEvent => Object.hasOwn(SCHEMAS, event);

export type PayloadCheck<E extends CheckedEvent> = { readonly ok: true; readonly payload: z.output<(typeof SCHEMAS)[E]> } | { readonly ok: false; readonly fields: readonly string[]; readonly problems: readonly string[] };

/** Checks a parsed body against its event's schema; on failure, every field at fault, by its path. */
export function checkPayload<E extends CheckedEvent>(event: E, body: unknown): PayloadCheck<E> {
  // reportInput: to tell a missing field from a mistyped one (only its type is ever shown).
  const result = SCHEMAS[event].safeParse(body, { reportInput: true });
  if (result.success) return { ok: true, payload: result.data as z.output<(typeof SCHEMAS)[E]> };
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '(the payload)';
    if (issue.code !== 'invalid_type') return { field, text: `${field}: ${issue.message}` };
    const found = issue.input === undefined ? 'is missing' : `is ${issue.input === null ? 'null' : `a ${typeof issue.input}`}`;
    return { field, text: `${field} ${found} (expected ${issue.expected})` };
  });
  return { ok: false, fields: problems.map((p) => p.field), problems: problems.map((p) => p.text) };
}

export const epochMs = (time: string): number => Date.parse(time);

/** Compile-time: GitHub's payload type `G` is assignable to what the schema accepts. */
type Fits<G extends S, S> = [G, S];
export type PayloadSchemasFitGitHub = [
  Fits<EmitterWebhookEvent<'pull_request'>['payload'], z.input<typeof PullRequestPayload>>,
  Fits<EmitterWebhookEvent<'pull_request_review'>['payload'], z.input<typeof ReviewPayload>>,
  Fits<EmitterWebhookEvent<'push'>['payload'], z.input<typeof PushPayload>>,
];
