import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import type { CliContext } from '../context.js';
import type { Wrap } from '../program.js';
import { readHidden, readStdin } from '../prompt.js';
import { examplesHelp, printTable } from '../table.js';

interface SecretView {
  scope: string;
  name: string;
  version: number;
  createdBy: string;
  createdAt: string;
}

/** The value comes from stdin or a hidden prompt, never from the command line (shell history, `ps`). */
async function readValue(name: string): Promise<string> {
  const value = process.stdin.isTTY ? await readHidden(`value of ${name} (not shown): `, 'cancelled: no secret was set') : await readStdin();
  if (value === '') throw new UsageError('USAGE', `no value for ${name}`, { hint: `Pipe it in: \`gantry secrets set <scope> ${name} < file\`, or type it at the prompt on a terminal.` });
  return value;
}

const path = (scope: string, name: string): string => `/api/v1/secrets/${encodeURIComponent(scope)}/${encodeURIComponent(name)}`;

function printList(ctx: CliContext, secrets: SecretView[]): void {
  if (ctx.out.json) return ctx.out.printJson({ secrets });
  if (secrets.length === 0) return ctx.out.out('no secrets in the store');
  printTable(ctx, ['SCOPE', 'NAME', 'VERSION', 'SET BY', 'SET AT'], secrets.map((s) => [s.scope, s.name, `v${s.version}`, s.createdBy, s.createdAt]));
}

export function registerSecrets(program: Command, wrap: Wrap): void {
  const secrets = program.command('secrets').description('the encrypted secret store: values go in, never come out');
  secrets
    .command('set <scope> <name>')
    .description('store a new version of a secret for an environment or `shared`; the value is read from stdin (a hidden prompt on a terminal), never from the command line')
    .addHelpText(
      'after',
      examplesHelp([
        ['gantry secrets set production DATABASE_URL', 'typed at a hidden prompt'],
        ['gantry secrets set staging STRIPE_KEY < stripe-key.txt', 'from a file (one trailing newline is dropped)'],
        ['pass show api/token | gantry secrets set shared API_TOKEN', 'from another program'],
      ]),
    )
    .action(
      wrap(async (ctx, scope: string, name: string) => {
        const value = await readValue(name);
        const r = await ctx.client().request<{ secret: SecretView; warnings: string[] }>('PUT', path(scope, name), { value });
        if (ctx.out.json) ctx.out.printJson(r);
        else {
          ctx.out.out(`${r.secret.scope}/${r.secret.name} is now version ${r.secret.version}`);
          for (const w of r.warnings) ctx.out.err(`warning: ${w}`);
        }
        return 0;
      }),
    );
  secrets
    .command('list')
    .description('secrets: scope, name, version, who set it and when (never values)')
    .action(
      wrap(async (ctx) => {
        printList(ctx, (await ctx.client().request<{ secrets: SecretView[] }>('GET', '/api/v1/secrets')).secrets);
        return 0;
      }),
    );
  secrets
    .command('rm <scope> <name>')
    .description('remove a secret (every version); steps no longer get it')
    .action(
      wrap(async (ctx, scope: string, name: string) => {
        await ctx.client().request('DELETE', path(scope, name));
        if (ctx.out.json) ctx.out.printJson({ removed: true });
        else ctx.out.out(`${scope}/${name} removed`);
        return 0;
      }),
    );
  secrets
    .command('rotate-key')
    .description('re-encrypt every secret with a new master key (admin)')
    .action(
      wrap(async (ctx) => {
        const r = await ctx.client().request<{ keyId: string; resealed: number }>('POST', '/api/v1/secrets/rotate-key');
        if (ctx.out.json) ctx.out.printJson(r);
        else ctx.out.out(`master key rotated: ${r.resealed} secret version(s) re-encrypted with key ${r.keyId}`);
        return 0;
      }),
    );
}
