import { Help, type Command } from 'commander';

/** An option as a completion script needs it: its spellings, whether a value follows, the values allowed. */
export interface OptionSpec {
  readonly flags: readonly string[];
  readonly description: string;
  /** A value follows as the next word (`--ref main`). */
  readonly takesValue: boolean;
  readonly choices: readonly string[];
  /** Its value is an environment of gantry.yaml (`--env`). */
  readonly environment: boolean;
}

/** A command of the program, with the words that lead to it (`['token', 'create']`; `[]` for the program itself). */
export interface CommandSpec {
  readonly path: readonly string[];
  readonly description: string;
  readonly subcommands: ReadonlyArray<{ readonly name: string; readonly description: string }>;
  readonly options: readonly OptionSpec[];
  /** Its first argument is an environment of gantry.yaml (`dispatch <environment>`, `status [env]`). */
  readonly environmentArgument: boolean;
}

const firstLine = (text: string): string => text.split('\n')[0] ?? '';

function optionSpec(option: Command['options'][number]): OptionSpec {
  return {
    flags: [option.short, option.long].filter((f): f is string => f !== undefined),
    description: firstLine(option.description),
    takesValue: option.required,
    choices: option.argChoices ?? [],
    environment: option.long === '--env',
  };
}

/** The program's commands and its global flags. */
export interface CommandTree {
  /** The root's options but --help and --version: valid after any command, so each script offers them everywhere. */
  readonly globals: readonly OptionSpec[];
  /** Depth first, the program itself first (its own options: --help and --version only). */
  readonly commands: readonly CommandSpec[];
}

const OWN_TO_EACH_COMMAND = new Set(['--help', '--version']);
const ENVIRONMENT_ARGUMENTS = new Set(['environment', 'env']);

/**
 * Every visible command of the program, as commander's own help lists them: what `gantry completion`
 * writes comes from the same tree as `--help`, so they cannot drift apart.
 */
export function commandTree(program: Command): CommandTree {
  const help = new Help();
  const rootOptions = help.visibleOptions(program).map(optionSpec);
  const isOwn = (o: OptionSpec): boolean => o.flags.some((f) => OWN_TO_EACH_COMMAND.has(f));
  const specs: CommandSpec[] = [];
  const visit = (command: Command, path: readonly string[]): void => {
    const subcommands = help.visibleCommands(command);
    specs.push({
      path,
      description: firstLine(command.description()),
      subcommands: subcommands.map((c) => ({ name: c.name(), description: firstLine(c.description()) })),
      options: path.length === 0 ? rootOptions.filter(isOwn) : help.visibleOptions(command).map(optionSpec),
      environmentArgument: ENVIRONMENT_ARGUMENTS.has(command.registeredArguments[0]?.name() ?? ''),
    });
    // `help` is commander's own: it takes a command name, not options of its own.
    for (const sub of subcommands) if (sub.name() !== 'help') visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
  return { globals: rootOptions.filter((o) => !isOwn(o)), commands: specs };
}
