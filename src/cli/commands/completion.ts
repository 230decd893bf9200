import { Argument, type Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import type { Wrap } from '../program.js';
import { examplesHelp } from '../table.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

const isShell = (name: string): name is Shell => (SHELLS as readonly string[]).includes(name);

/** `gantry completion bash|zsh|fish`: a completion script made from this program's own command tree. */
export function registerCompletion(program: Command, wrap: Wrap): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish) for gantry\'s commands and flags')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish'))
    .addHelpText(
      'after',
      examplesHelp([
        ['source <(gantry completion bash)', 'in this bash session'],
        ['gantry completion bash > ~/.local/share/bash-completion/completions/gantry', 'in every new bash'],
        ['gantry completion zsh > "${fpath[1]}/_gantry"', 'in every new zsh'],
        ['gantry completion fish > ~/.config/fish/completions/gantry.fish', 'in every new fish'],
      ]),
    )
    .action(
      wrap(async (_ctx, shell: string) => {
        if (!isShell(shell)) throw new UsageError('USAGE', `there is no completion script for the shell "${shell}"`, { hint: 'Gantry writes one for bash, zsh and fish: `gantry completion bash`, `gantry completion zsh` or `gantry completion fish`.' });
        const { commandTree } = await import('../completion/command-tree.js');
        const tree = commandTree(program);
        const script =
          shell === 'bash' ? (await import('../completion/bash.js')).bashScript(tree) : shell === 'zsh' ? (await import('../completion/zsh.js')).zshScript(tree) : (await import('../completion/fish.js')).fishScript(tree);
        process.stdout.write(script);
        return 0;
      }),
    );
  // What the scripts run to complete an environment name: the keys of gantry.yaml's `environments`,
  // read as plain YAML (not validated: a TAB must stay quick), nothing when there is no readable file.
  program
    .command('__complete <what>', { hidden: true })
    .action(
      wrap(async (ctx, what: string) => {
        if (what !== 'environments') return 0;
        const [{ readFile }, { parse }] = await Promise.all([import('node:fs/promises'), import('yaml')]);
        let environments: unknown;
        try {
          environments = (parse(await readFile(ctx.options.config, 'utf8')) as { environments?: unknown } | null)?.environments;
        } catch {
          return 0;
        }
        if (environments !== null && typeof environments === 'object') for (const name of Object.keys(environments)) ctx.out.out(name);
        return 0;
      }),
    );
}
