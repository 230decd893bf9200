import type { Command } from 'commander';
import { formatDuration } from '../../config/duration.js';
import type { RunView } from '../../server/views.js';
import { watchStartedRun } from '../follow.js';
import { followWithin, timeoutMs, TIMEOUT_FLAG } from '../follow-timeout.js';
import type { Wrap } from '../program.js';
import { examplesHelp, printTable } from '../table.js';
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
        else {
          const rows = deployments.map((d) => [
            d.region ? `${d.service}@${d.region}` : d.service,
            `r${d.revision}`,
            d.release.slice(0, 7),
            d.digest.slice(7, 19),
            d.state,
            d.createdAt.replace('T', ' ').slice(0, 19),
            d.finishedAt ? formatDuration(Date.parse(d.finishedAt) - Date.parse(d.createdAt)) : '',
            `${d.triggeredBy}${d.runId ? ` (run #${d.runId})` : ''}${d.targetRevision ? `  [${d.targetRevision}]` : ''}${d.reason ? `  — ${d.reason}` : ''}`,
          ]);
          printTable(ctx, ['SERVICE', 'REVISION', 'RELEASE', 'DIGEST', 'STATE', 'CREATED', 'TOOK', 'BY'], rows);
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
    .option(...TIMEOUT_FLAG, timeoutMs)
    .addHelpText(
      'after',
      examplesHelp([
        ['gantry rollback production', 'every service back on its previous revision'],
        ['gantry rollback production --service api --reason "5xx spike"', 'one service, with why (recorded)'],
        ['gantry rollback staging --service api --to-revision 3', 'back to revision 3, as `gantry history staging` lists it'],
        ['gantry rollback production --detach', 'start the rollback and return without watching it'],
      ]),
    )
    .action(
      wrap(async (ctx, environment: string, opts: { service?: string; toRevision?: number; reason?: string; detach?: boolean; timeout?: number }) => {
        const client = ctx.client();
        const body = { ...(opts.service ? { service: opts.service } : {}), ...(opts.toRevision ? { toRevision: opts.toRevision } : {}), ...(opts.reason ? { reason: opts.reason } : {}) };
        const { run } = await client.request<{ run: RunView }>('POST', `/api/v1/environments/${environment}/rollback`, body);
        if (!ctx.out.json) ctx.out.out(`run #${run.id}: ${run.notes[0] ?? 'rollback'}`);
        return followWithin(client, run.id, opts.timeout, (following) => watchStartedRun(following, ctx.out, run, opts.detach ?? false));
      }),
    );
}
