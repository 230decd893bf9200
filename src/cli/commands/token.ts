import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import type { Wrap } from '../program.js';
import { examplesHelp, printTable } from '../table.js';
import { wholeNumber } from './parse.js';

function tokenId(text: string): number {
  const id = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError('USAGE', `"${text}" is not a token id`, { hint: 'Token ids are whole numbers, as listed by `gantry token list`.' });
  return id;
}

export function registerToken(program: Command, wrap: Wrap): void {
  const token = program.command('token').description('API tokens: each names a user and roles per environment');
  token
    .command('create')
    .description('make a token (shown once); e.g. --user alice --role approver:production')
    .requiredOption('--user <name>', 'who holds it')
    .option('--email <address>', "the user's git e-mail, so a commit's author cannot approve it")
    .option('--role <role...>', 'viewer|deployer|approver|admin, optionally :environment or :*', ['viewer'])
    .option('--expires-in-days <n>', 'expiry, in days (1 to 3650)', wholeNumber(1, 3650))
    .addHelpText(
      'after',
      examplesHelp([
        ['gantry token create --user ci --role deployer:staging', 'a CI job that deploys to staging'],
        ['gantry token create --user alice --role approver:production', 'may approve deployments to production'],
        ['gantry token create --user bob --role viewer --expires-in-days 30', 'read-only, for a month'],
        ['gantry token create --user ops --role admin -o json', 'the token in a document, for a script'],
      ]),
    )
    .action(
      wrap(async (ctx, opts: { user: string; email?: string; role: string[]; expiresInDays?: number }) => {
        const body = { user: opts.user, roles: opts.role, ...(opts.email ? { email: opts.email } : {}), ...(opts.expiresInDays ? { expiresInDays: opts.expiresInDays } : {}) };
        const created = await ctx.client().request<{ id: number; user: string; roles: string[]; token: string }>('POST', '/api/v1/tokens', body);
        if (ctx.out.json) ctx.out.printJson(created);
        else ctx.out.out(`token ${created.id} for ${created.user} (${created.roles.join(', ')}), shown this once:\n${created.token}`);
        return 0;
      }),
    );
  token
    .command('list')
    .description('tokens (never their values)')
    .action(
      wrap(async (ctx) => {
        const { tokens } = await ctx.client().request<{ tokens: Array<{ id: number; user: string; roles: string[]; revoked: boolean; expiresAt: string | null }> }>('GET', '/api/v1/tokens');
        if (ctx.out.json) ctx.out.printJson({ tokens });
        else if (tokens.length === 0) ctx.out.out('no tokens');
        else printTable(ctx, ['ID', 'USER', 'ROLES', 'STATE'], tokens.map((t) => [String(t.id), t.user, t.roles.join(','), t.revoked ? 'revoked' : t.expiresAt ? `expires ${t.expiresAt}` : 'active']));
        return 0;
      }),
    );
  token
    .command('revoke <id>')
    .description('revoke a token at once')
    .action(
      wrap(async (ctx, id: string) => {
        await ctx.client().request('POST', `/api/v1/tokens/${tokenId(id)}/revoke`);
        if (!ctx.out.json) ctx.out.out(`token ${id} revoked`);
        return 0;
      }),
    );
}
