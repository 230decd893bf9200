import type { z } from 'zod';

/** How a route answers when it succeeds: JSON (described by `response`), an SSE stream, or a file. */
export type ApiContent = 'application/json' | 'text/event-stream' | 'text/plain' | 'text/yaml';

/**
 * One route as the OpenAPI document describes it, declared beside its handler with the very zod
 * schemas the handler validates with, so the two cannot disagree. Who may call it is not repeated
 * here: the document reads it from ROUTE_RULES and PUBLIC_ROUTES (src/server/authorization.ts).
 * test/integration/openapi.test.ts checks that every registered route has exactly one entry.
 */
export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The Fastify URL pattern, exactly as the route registers it (`/api/v1/runs/:id`). */
  readonly url: string;
  /** A stable name for clients generated from the document (`listRuns`). */
  readonly operationId: string;
  readonly summary: string;
  /** The group the route is listed under (`runs`, `environments` …). */
  readonly tag: string;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** The success status; 200 unless said. */
  readonly status?: number;
  /** The JSON body of a success; without it the document says "a JSON object". */
  readonly response?: z.ZodType;
  /** What a success carries; `application/json` unless said. Several: the client chooses (`Accept`, `?follow`). */
  readonly content?: readonly ApiContent[];
}
