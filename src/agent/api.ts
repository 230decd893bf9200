import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GantryError } from '../errors/index.js';
import type { Logger } from '../kernel/logger.js';
import { errorHandler } from '../kernel/http/http-errors.js';
import { parseInput } from '../kernel/http/validate.js';
import type { Agent } from './agent.js';
import { withSecretKeys } from './revision-secrets.js';
import { MAX_FAULT_DURATION_MS, MAX_FAULT_LATENCY_MS } from './router/faults.js';

const Name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/);
const ServiceParams = z.object({ env: Name, service: Name });
const RevisionParams = ServiceParams.extend({ revision: z.coerce.number().int().positive() });
const RouteParams = ServiceParams.extend({ route: z.enum(['main', 'preview']) });
const RevisionBody = z.strictObject({
  environment: Name,
  service: Name,
  revision: z.number().int().positive(),
  release: z.string().min(1),
  // The agent fetches the artifact from `ref` (oci-layout:<folder>@<digest>) and refuses one that is not `digest`.
  artifact: z.strictObject({ digest: z.string().regex(/^sha256:[0-9a-f]{64}$/), ref: z.string().min(1).max(4096) }),
  command: z.string().min(1),
  env: z.record(z.string(), z.string()),
  // Optional: a control plane older than the field sends none (withSecretKeys decides then).
  secretKeys: z.array(z.string().min(1)).max(1000).optional(),
  replicas: z.number().int().min(1).max(20),
  health: z.strictObject({
    path: z.string().startsWith('/'),
    expectStatus: z.number().int(),
    intervalMs: z.number().int().positive(),
    timeoutMs: z.number().int().positive(),
    // Optional: a control plane older than readiness and liveness sends neither (the agent's defaults apply).
    readiness: z.strictObject({ failureThreshold: z.number().int().min(1).max(100), successThreshold: z.number().int().min(1).max(100) }).optional(),
    liveness: z.strictObject({ path: z.string().startsWith('/'), failureThreshold: z.number().int().min(0).max(1000) }).optional(),
  }),
  // Optional, for the docker runtime (the process runtime ignores both). Docker refuses less than 6 MiB of memory.
  limits: z.strictObject({ cpus: z.number().positive().max(1024).optional(), memoryBytes: z.number().int().min(6 * 1024 * 1024).max(2 ** 50).optional() }).optional(),
  pullAuth: z.strictObject({ username: z.string().min(1).max(256), password: z.string().min(1).max(4096) }).optional(),
});
const Port = z.number().int().min(1).max(65535);
const RoutesBody = z.strictObject({
  routes: z
    .array(z.strictObject({ environment: Name, service: Name, port: Port, previewPort: Port.optional(), maxConnections: z.number().int().min(1).max(1_000_000).optional() }))
    .max(1000),
});
const Share = z.number().min(0).max(1);
const FaultsBody = z.strictObject({
  faults: z.strictObject({
    latency: z.strictObject({ ms: z.number().int().min(0).max(MAX_FAULT_LATENCY_MS), share: Share }).optional(),
    abort: z.strictObject({ status: z.number().int().min(400).max(599), share: Share }).optional(),
    reset: z.strictObject({ share: Share }).optional(),
  }),
  durationMs: z.number().int().min(1).max(MAX_FAULT_DURATION_MS),
});
const MatchValue = z.string().min(1).max(200);
const MatchBody = z.strictObject({
  match: z.union([
    z.strictObject({ header: z.string().regex(/^[A-Za-z0-9-]+$/), value: MatchValue, revision: z.number().int().positive() }),
    z.strictObject({ cookie: z.string().regex(/^[A-Za-z0-9_-]+$/), value: MatchValue, revision: z.number().int().positive() }),
    z.null(),
  ]),
});
const WeightsBody = z.strictObject({ weights: z.record(z.string().regex(/^\d+$/), z.number().min(0).max(100)) });

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The agent's control API, every call with the agent's token: on loopback for a local agent; over
 * HTTPS (`https`: PEM cert and key signed by Gantry's CA) on a remote host's address.
 */
export function buildAgentApi(
  agent: Agent,
  token: string,
  logger: Logger,
  facts: () => Readonly<Record<string, unknown>> = () => ({}),
  https?: { readonly cert: string; readonly key: string },
): FastifyInstance {
  // Fastify's https instance has another type parameter; the routes below use none of what differs.
  const app = (https ? Fastify({ logger: false, bodyLimit: 256 * 1024, https }) : Fastify({ logger: false, bodyLimit: 256 * 1024 })) as FastifyInstance;
  app.setErrorHandler(errorHandler(logger));
  app.addHook('onRequest', async (request) => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match?.[1]) throw new GantryError('AUTH_REQUIRED', 'the agent API needs its token', { hint: 'The control plane sends it; see the target settings in gantry.yaml.' });
    if (!sameToken(match[1], token)) throw new GantryError('AUTH_INVALID', 'wrong agent token');
  });
  app.get('/v1/health', async () => ({ status: 'ok', pid: process.pid, ...facts(), stateWrite: agent.stateWrite() }));
  // The control plane says which environment × service routes this agent serves, and on which ports.
  app.put('/v1/routes', async (request) => {
    const { routes } = parseInput(RoutesBody, request.body, 'body');
    await agent.configureRoutes(routes);
    return { routes: routes.length };
  });
  app.get('/v1/environments/:env', async (request) => {
    const { env } = parseInput(z.object({ env: Name }), request.params, 'path');
    return { services: agent.describe(env) };
  });
  app.put('/v1/environments/:env/services/:service/revisions/:revision', async (request, reply) => {
    const p = parseInput(RevisionParams, request.params, 'path');
    const spec = parseInput(RevisionBody, request.body, 'body');
    if (spec.environment !== p.env || spec.service !== p.service || spec.revision !== p.revision) {
      throw new GantryError('BAD_REQUEST', 'the body names another revision than the path', { hint: 'environment, service and revision must match the URL.' });
    }
    const stray = spec.secretKeys?.find((key) => !Object.hasOwn(spec.env, key));
    if (stray !== undefined) {
      throw new GantryError('BAD_REQUEST', `body field "secretKeys": ${stray} is not a key of env`, { where: 'body.secretKeys', hint: 'secretKeys names the keys of env whose values are secrets.' });
    }
    await agent.startRevision(withSecretKeys(spec));
    return reply.status(202).send({ accepted: true });
  });
  app.delete('/v1/environments/:env/services/:service/revisions/:revision', async (request) => {
    const p = parseInput(RevisionParams, request.params, 'path');
    await agent.stopRevision(p.env, p.service, p.revision);
    return { stopped: true };
  });
  app.put('/v1/environments/:env/services/:service/routes/:route', async (request) => {
    const p = parseInput(RouteParams, request.params, 'path');
    const { weights } = parseInput(WeightsBody, request.body, 'body');
    await agent.setWeights(p.env, p.service, p.route, weights);
    return { weights };
  });
  // A canary for testers: main-route requests with the header or cookie go to the revision, whatever the weights.
  app.put('/v1/environments/:env/services/:service/match', async (request) => {
    const p = parseInput(ServiceParams, request.params, 'path');
    const { match } = parseInput(MatchBody, request.body, 'body');
    await agent.setMatch(p.env, p.service, match);
    return { match };
  });
  app.get('/v1/environments/:env/services/:service/traffic', async (request) => {
    const p = parseInput(ServiceParams, request.params, 'path');
    return { revisions: await agent.traffic(p.env, p.service) };
  });
  // Chaos checks: faults on the service's main route that the router ends by itself after durationMs.
  app.put('/v1/environments/:env/services/:service/faults', async (request) => {
    const p = parseInput(ServiceParams, request.params, 'path');
    const { faults, durationMs } = parseInput(FaultsBody, request.body, 'body');
    return { active: await agent.setFaults(p.env, p.service, faults, durationMs) };
  });
  app.get('/v1/environments/:env/services/:service/faults', async (request) => {
    const p = parseInput(ServiceParams, request.params, 'path');
    return await agent.faults(p.env, p.service);
  });
  app.delete('/v1/environments/:env/services/:service/faults', async (request) => {
    const p = parseInput(ServiceParams, request.params, 'path');
    return { cleared: await agent.clearFaults(p.env, p.service) };
  });
  app.post('/v1/environments/:env/services/:service/revisions/:revision/kill', async (request) => {
    const p = parseInput(RevisionParams, request.params, 'path');
    return agent.killReplica(p.env, p.service, p.revision);
  });
  app.get('/v1/environments/:env/services/:service/revisions/:revision/logs', async (request) => {
    const p = parseInput(RevisionParams, request.params, 'path');
    const { lines } = parseInput(z.object({ lines: z.coerce.number().int().min(1).max(5000).default(200) }), request.query, 'query');
    return { lines: await agent.logs(p.env, p.service, p.revision, lines) };
  });
  return app;
}
