import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../errors/index.js';
import type { Backup } from '../../domain/backup.js';
import type { ServerContext } from '../context.js';
import { principalOf } from '../principal.js';
import { parseInput } from '../../kernel/http/validate.js';
import { runView } from '../views.js';
import type { ApiRoute } from '../openapi/api-route.js';
import { RunEnvelopeSchema } from '../openapi/schemas.js';

const BackupId = z.object({ id: z.coerce.number().int().positive() });
const ListQuery = z.object({ environment: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/).optional() });
const RestoreBody = z.strictObject({ reason: z.string().min(1).max(500).optional() });

const BackupSchema = z
  .object({
    id: z.number().int(),
    environment: z.string(),
    runId: z.number().int().nullable(),
    reason: z.string(),
    services: z.array(z.record(z.string(), z.unknown())),
    resources: z.object({ format: z.string(), objects: z.array(z.unknown()) }).nullable(),
    createdAt: z.string(),
    expiresAt: z.string(),
  })
  .meta({ id: 'Backup' });

export const backupApi: readonly ApiRoute[] = [
  { method: 'GET', url: '/api/v1/backups', operationId: 'listBackups', tag: 'backups', summary: 'Backups not yet expired', query: ListQuery, response: z.object({ backups: z.array(BackupSchema) }) },
  { method: 'GET', url: '/api/v1/backups/:id', operationId: 'getBackup', tag: 'backups', summary: 'A backup', params: BackupId, response: z.object({ backup: BackupSchema }) },
  { method: 'GET', url: '/api/v1/backups/:id/export', operationId: 'exportBackup', tag: 'backups', summary: "A backup's target objects as YAML for kubectl apply -f", params: BackupId, content: ['text/yaml'] },
  { method: 'POST', url: '/api/v1/backups/:id/restore', operationId: 'restoreBackup', tag: 'backups', summary: 'Restore a backup (a run)', params: BackupId, body: RestoreBody, status: 201, response: RunEnvelopeSchema },
];

/** A backup as the API shows it: its target objects listed by kind/name (the YAML is the export's). */
export function backupView(b: Backup) {
  const resources = b.resources ? { format: b.resources.format, objects: b.resources.objects } : null;
  return { id: b.id, environment: b.environment, runId: b.runId, reason: b.reason, services: b.services, resources, createdAt: new Date(b.createdAt).toISOString(), expiresAt: new Date(b.expiresAt).toISOString() };
}

export function backupRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/backups', async (request) => {
    const q = parseInput(ListQuery, request.query, 'query');
    return { backups: (await ctx.store.backups.list(q.environment, ctx.clock.now())).map(backupView) };
  });

  const live = async (id: number): Promise<Backup> => {
    const backup = await ctx.store.backups.get(id);
    if (!backup || backup.expiresAt <= ctx.clock.now()) throw new NotFoundError('BACKUP_NOT_FOUND', `no backup #${id}`, { hint: 'List backups with `gantry backup list`.' });
    return backup;
  };

  app.get('/api/v1/backups/:id', async (request) => {
    const { id } = parseInput(BackupId, request.params, 'path');
    return { backup: backupView(await live(id)) };
  });

  // The saved objects as a file `kubectl apply -f` accepts (Secrets by name and version only).
  app.get('/api/v1/backups/:id/export', async (request, reply) => {
    const { id } = parseInput(BackupId, request.params, 'path');
    const backup = await live(id);
    if (!backup.resources) {
      throw new NotFoundError('BACKUP_NO_RESOURCES', `backup #${id} of ${backup.environment} holds no target objects to export`, {
        hint: 'Only a kubernetes target saves its objects with a backup; `gantry backup show` lists what this one holds.',
      });
    }
    return reply.type('text/yaml; charset=utf-8').header('content-disposition', `attachment; filename="backup-${id}-${backup.environment}.yaml"`).send(backup.resources.yaml);
  });

  app.post('/api/v1/backups/:id/restore', async (request, reply) => {
    const { id } = parseInput(BackupId, request.params, 'path');
    const body = parseInput(RestoreBody, request.body, 'body');
    const run = await ctx.engine.restore(id, principalOf(request), body.reason);
    return reply.status(201).send({ run: runView(run) });
  });
}
