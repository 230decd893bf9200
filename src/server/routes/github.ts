import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { StoreSecretSource } from '../../secrets/secret-store.js';
import { EnvSecretSource } from '../../secrets/source.js';
import { GitHubWebhook } from '../../sources/github/webhook.js';
import type { ServerContext } from '../context.js';
import type { ApiRoute } from '../openapi/api-route.js';

export const GITHUB_WEBHOOK_ROUTE = '/api/v1/github/webhook';

/** GitHub caps a delivery at 25 MB; a push of many commits is well below this, and the route is unauthenticated until the body is read. */
const WEBHOOK_BODY_LIMIT_BYTES = 5 * 1024 * 1024;

export const githubApi: readonly ApiRoute[] = [
  { method: 'POST', url: GITHUB_WEBHOOK_ROUTE, operationId: 'githubWebhook', tag: 'sources', summary: "GitHub's webhook (no token: authenticated by X-Hub-Signature-256)", body: z.record(z.string(), z.unknown()).describe("GitHub's event payload") },
];

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * `POST /api/v1/github/webhook` (src/sources/github/webhook.ts). Public: it carries no Gantry token
 * and is authenticated by its signature, so it reads the raw body (its own content parsers).
 * The secret comes from the secret store (`shared` scope), then GANTRY_SECRET_<NAME>.
 */
export function githubRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const webhook = new GitHubWebhook({
    store: ctx.store,
    clock: ctx.clock,
    config: ctx.config,
    secrets: ctx.secrets ? new StoreSecretSource(ctx.secrets) : new EnvSecretSource(),
    onAccepted: () => ctx.notifySource(),
    ...(ctx.pullRequestCi ? { onPullRequestHead: ctx.pullRequestCi } : {}),
  });
  void app.register(async (scoped) => {
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded'], { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    scoped.post(GITHUB_WEBHOOK_ROUTE, { bodyLimit: WEBHOOK_BODY_LIMIT_BYTES }, async (request, reply) => {
      const h = request.headers;
      const answer = await webhook.handle({
        event: header(h['x-github-event']),
        deliveryId: header(h['x-github-delivery']),
        signature: header(h['x-hub-signature-256']),
        rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        contentType: header(h['content-type']),
      });
      return reply.status(answer.status).send(answer.body);
    });
  });
}
