import type { Command } from 'commander';
import type { RunView } from '../../server/views.js';
import { UsageError, isGantryError } from '../../errors/index.js';
import { watchStartedRun } from '../follow.js';
import { followWithin, timeoutMs, TIMEOUT_FLAG } from '../follow-timeout.js';
import { examplesHelp } from '../table.js';
import { askConfirmation } from '../prompt.js';
import type { Wrap } from '../program.js';

export function registerDispatch(program: Command, wrap: Wrap): void {
  program
    .command('dispatch <environment>')
    .description("run a ref (default: the environment's branch) through CI and on to the environment, watching it live")
    .option('--ref <ref>', 'branch, tag or commit to dispatch')
    .option('--release <sha>', 'redeploy an earlier release (built before; nothing is rebuilt)')
    .option('--confirm <phrase>', 'the environment\'s confirmation phrase, e.g. "DEPLOY TO PRODUCTION"')
    .option('--override-promotion', 'admin only: deploy even though the release did not succeed in the required environment')
    .option('--reason <text>', 'why, with --override-promotion (recorded)')
    .option('--detach', 'print the run and return without watching it')
    .option(...TIMEOUT_FLAG, timeoutMs)
    .addHelpText(
      'after',
      examplesHelp([
        ['gantry dispatch dev', "dev's branch through CI and on to dev, watched live"],
        ['gantry dispatch staging --ref feature/checkout', 'another branch (or a tag, or a commit)'],
        ['gantry dispatch production --release 3f2a9c1', 'redeploy a release built before: nothing is rebuilt'],
        ['gantry dispatch dev --detach -o json', 'print the run and return at once'],
        ['gantry dispatch dev --timeout 10m', 'stop watching after 10 minutes (exit 5); the run goes on'],
      ]),
    )
    .action(
      wrap(async (ctx, environment: string, opts: { ref?: string; release?: string; confirm?: string; overridePromotion?: boolean; reason?: string; detach?: boolean; timeout?: number }) => {
        const client = ctx.client();
        if (opts.overridePromotion && !opts.reason) throw new UsageError('USAGE', '--override-promotion needs --reason', { hint: 'Say why; it is recorded in the audit log.' });
        const body = {
          environment,
          ...(opts.ref ? { ref: opts.ref } : {}),
          ...(opts.release ? { release: opts.release } : {}),
          ...(opts.confirm !== undefined ? { confirm: opts.confirm } : {}),
          ...(opts.overridePromotion ? { overridePromotion: { reason: opts.reason ?? '' } } : {}),
        };
        let dispatched: { run: RunView };
        try {
          dispatched = await client.request<{ run: RunView }>('POST', '/api/v1/dispatch', body);
        } catch (error: unknown) {
          // On a terminal, ask for the phrase the server says is required, then try once more.
          const phrase = isGantryError(error) && error.code === 'CONFIRMATION_REQUIRED' ? /"([^"]+)"/.exec(error.message)?.[1] : undefined;
          if (!phrase) throw error;
          dispatched = await client.request<{ run: RunView }>('POST', '/api/v1/dispatch', { ...body, confirm: await askConfirmation(ctx, phrase) });
        }
        const { run } = dispatched;
        if (!ctx.out.json) ctx.out.out(`run #${run.id} dispatched: ${run.ref}@${run.sha.slice(0, 7)} → ${environment}`);
        return followWithin(client, run.id, opts.timeout, (following) => watchStartedRun(following, ctx.out, run, opts.detach ?? false));
      }),
    );
}
