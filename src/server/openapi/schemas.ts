import { z } from 'zod';
import { RunState, StepState, TriggerKind } from '../../domain/phases.js';

/**
 * The response shapes shared by many routes, as zod schemas the OpenAPI document is generated from.
 * Each carries an `id` (its name under components/schemas). They describe what src/server/views.ts
 * builds; test/integration/list-cursors.test.ts parses real answers with them.
 */
const named = <T extends z.ZodType>(id: string, schema: T): T => schema.meta({ id });

const isoTime = z.string().describe('An ISO 8601 time (UTC).');

/** Every failure: a stable code (docs/errors.md), a sentence, and what to do about it. */
export const ErrorBodySchema = named(
  'ErrorBody',
  z.object({
    code: z.string().describe('A stable error code, listed in docs/errors.md.'),
    message: z.string(),
    hint: z.string().optional().describe('What to do about it.'),
  }),
);

const StepErrorSchema = named(
  'StepError',
  z.object({
    code: z.string(),
    message: z.string(),
    hint: z.string().optional(),
    logTail: z.array(z.string()).optional().describe("The last lines of the step's log."),
    exitCode: z.number().int().optional(),
  }),
);

export const RunSchema = named(
  'Run',
  z.object({
    id: z.number().int(),
    trigger: z.enum(Object.values(TriggerKind)),
    branch: z.string().nullable(),
    ref: z.string(),
    sha: z.string(),
    baseSha: z.string().nullable(),
    environment: z.string().nullable().describe('null for a run of CI only.'),
    state: z.enum(Object.values(RunState)),
    notes: z.array(z.string()),
    author: z.string().nullable(),
    authors: z.array(z.string()).describe('Every author of the commits the run brings in; none of them may approve it.'),
    triggeredBy: z.string(),
    commitMessage: z.string().nullable(),
    commitTime: isoTime.nullable(),
    error: StepErrorSchema.nullable(),
    createdAt: isoTime.nullable(),
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
    durationMs: z.number().nullable(),
  }),
);

export const StepSchema = named(
  'Step',
  z.object({
    id: z.number().int(),
    key: z.string().describe('gate:api:test, deploy:api@production …'),
    kind: z.string(),
    name: z.string(),
    service: z.string().nullable(),
    environment: z.string().nullable(),
    needs: z.array(z.string()),
    state: z.enum(Object.values(StepState)),
    message: z.string().nullable(),
    attempt: z.number().int(),
    maxAttempts: z.number().int(),
    cached: z.boolean(),
    summary: z.record(z.string(), z.unknown()).nullable(),
    error: StepErrorSchema.nullable(),
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
    durationMs: z.number().nullable(),
  }),
);

/** `{ run }`: what dispatch, cancel, rollback and restore answer with. */
export const RunEnvelopeSchema = named('RunEnvelope', z.object({ run: RunSchema }));

/** The `nextCursor` of a list: pass it back as `?cursor=` for the next page; null on the last page. */
export const NextCursorSchema = z.string().nullable().describe('Pass as ?cursor= to read the next page; null on the last page.');

/** The `cursor` query field of a list route (decoded by list-cursor.ts, which says what a bad one is). */
export const CursorQueryField = z.string().min(1).max(200).optional().describe('The nextCursor of the previous page, unchanged. Leave it out for the first page.');
