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
}
