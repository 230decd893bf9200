import type { Command } from 'commander';
import { formatDuration } from '../../config/duration.js';
import type { RunView } from '../../server/views.js';
import { watchStartedRun } from '../follow.js';
import type { Wrap } from '../program.js';
import { wholeNumber } from './parse.js';

interface DeploymentView {
  environment: string;
  service: string;
  /** The region of an environment with regions; '' (or absent, from an older server) without. */
  region?: string;
  revision: number;
  previousRevision: number | null;
  release: string;
  digest: string;
  runId: number | null;
  triggeredBy: string;
  state: string;
  reason: string | null;
  createdAt: string;
  finishedAt: string | null;
  /** The target's own name for the revision while it keeps it (a Kubernetes ReplicaSet and its rollout revision). */
  targetRevision?: string | null;
}

export function registerHistory(program: Command, wrap: Wrap): void {
  program
    .command('history <environment>')
    .description('revisions of an environment: release, digest, who, when, result, reason')
    .option('--service <name>', 'only this service')
    .option('--limit <n>', 'how many (1 to 500)', wholeNumber(1, 500), 30)
    .action(
      wrap(async (ctx, environment: string, opts: { service?: string; limit: number }) => {
        const q = new URLSearchParams({ limit: String(opts.limit), ...(opts.service ? { service: opts.service } : {}) });
        const { deployments } = await ctx.client().request<{ deployments: DeploymentView[] }>('GET', `/api/v1/environments/${environment}/history?${q.toString()}`);
        if (ctx.out.json) {
          ctx.out.printJson({ deployments });
          return 0;
        }
        if (deployments.length === 0) ctx.out.out(`nothing was deployed to ${environment} yet`);
        for (const d of deployments) {
          const took = d.finishedAt ? formatDuration(Date.parse(d.finishedAt) - Date.parse(d.createdAt)) : '';
          ctx.out.out(
            `${(d.region ? `${d.service}@${d.region}` : d.service).padEnd(18)} r${String(d.revision).padEnd(4)} ${d.release.slice(0, 7)}  ${d.digest.slice(7, 19)}  ${d.state.padEnd(11)} ${d.createdAt.replace('T', ' ').slice(0, 19)} ${took.padEnd(7)} ${d.triggeredBy}${d.runId ? ` (run #${d.runId})` : ''}${d.targetRevision ? `  [${d.targetRevision}]` : ''}${d.reason ? `  — ${d.reason}` : ''}`,
          );
        }
        return 0;
      }),
    );

  program
    .command('rollback <environment>')
    .description('put an environment (or one service) back on the previous revision, or on a given one')
    .option('--service <name>', 'only this service')
    .option('--to-revision <n>', 'this revision instead of the previous one', wholeNumber(1, Number.MAX_SAFE_INTEGER, 'a revision number (1, 2, …) as `gantry history` lists them'))
    .option('--reason <text>', 'why (recorded)')
    .option('--detach', 'return without watching the run')
    .action(
      wrap(async (ctx, environment: string, opts: { service?: string; toRevision?: number; reason?: string; detach?: boolean }) => {
        const client = ctx.client();
        const body = { ...(opts.service ? { service: opts.service } : {}), ...(opts.toRevision ? { toRevision: opts.toRevision } : {}), ...(opts.reason ? { reason: opts.reason } : {}) };
        const { run } = await client.request<{ run: RunView }>('POST', `/api/v1/environments/${environment}/rollback`, body);
        if (!ctx.out.json) ctx.out.out(`run #${run.id}: ${run.notes[0] ?? 'rollback'}`);
        return watchStartedRun(client, ctx.out, run, opts.detach ?? false);
      }),
    );
}
