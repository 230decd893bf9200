import type { CommandSpec, CommandTree, OptionSpec } from './command-tree.js';

/** A word in fish's single quotes: only \\ and ' are special there. */
const fishQuote = (text: string): string => `'${text.replace(/[\\']/g, '\\$&')}'`;

const lines = (list: readonly string[]): string => (list.length === 0 ? 'true' : `printf '%s\\n' ${list.map(fishQuote).join(' ')}`);

/**
 * The fish completion script: `__gantry_path` walks the words typed so far (as bash.ts does) and
 * each `complete` line is conditioned on the command path it belongs to. Global flags carry no
 * condition, so fish offers them after any command.
 */
function optionLine(o: OptionSpec, when: string): string {
  const names = o.flags.map((f) => (f.startsWith('--') ? `-l ${fishQuote(f.slice(2))}` : `-s ${fishQuote(f.slice(1))}`)).join(' ');
  const value = !o.takesValue ? '' : o.choices.length > 0 ? ` -x -a ${fishQuote(o.choices.join(' '))}` : o.environment ? " -x -a '(__gantry_environments)'" : ' -r -F';
  return `complete -c gantry${when} ${names}${value} -d ${fishQuote(o.description)}`;
}

const valueFlags = (options: readonly OptionSpec[]): string[] => options.filter((o) => o.takesValue).flatMap((o) => o.flags);

export function fishScript(tree: CommandTree): string {
  const at = (c: CommandSpec): string => fishQuote(c.path.join(' '));
  const subs = tree.commands.map((c) => `    case ${at(c)}\n      ${lines(c.subcommands.map((s) => s.name))}`);
  const vals = tree.commands.map((c) => `    case ${at(c)}\n      ${lines(valueFlags(c.options))}`);
  const completes = tree.globals.map((o) => optionLine(o, ''));
  for (const c of tree.commands) {
    const when = ` -n ${fishQuote(`__gantry_is ${at(c)}`)}`;
    for (const s of c.subcommands) completes.push(`complete -c gantry${when} -a ${fishQuote(s.name)} -d ${fishQuote(s.description)}`);
    for (const o of c.options) completes.push(optionLine(o, when));
    if (c.environmentArgument) completes.push(`complete -c gantry -n ${fishQuote(`__gantry_is ${at(c)}; and __gantry_first_argument`)} -a '(__gantry_environments)'`);
  }
  return `# gantry completion for fish, made by \`gantry completion fish\` from the commands of this version.
# Load it now:      gantry completion fish | source
# or for good:      gantry completion fish > ~/.config/fish/completions/gantry.fish

function __gantry_subs
  switch $argv[1]
${subs.join('\n')}
  end
end

function __gantry_vals
  switch $argv[1]
${vals.join('\n')}
  end
end

# The command the words typed so far lead to: '' for the program itself, 'token create' …
function __gantry_path
  set -l words (commandline -opc)
  set -e words[1]
  set -l cmdpath ''
  set -l skip 0
  set -g __gantry_npos 0
  set -l globals ${valueFlags(tree.globals).map(fishQuote).join(' ')}
  for word in $words
    if test $skip = 1
      set skip 0
      continue
    end
    if string match -q -- '-*' $word
      if contains -- $word (__gantry_vals $cmdpath) $globals
        set skip 1
      end
    else if contains -- $word (__gantry_subs $cmdpath)
      set cmdpath (string trim -- "$cmdpath $word")
      set -g __gantry_npos 0
    else
      set -g __gantry_npos (math $__gantry_npos + 1)
    end
  end
  echo $cmdpath
end

# No argument typed yet after the command: where its environment goes.
function __gantry_first_argument
  __gantry_path >/dev/null
  test $__gantry_npos = 0
end

# The environments of the gantry.yaml the CLI would read here (a hidden command; nothing when there is none).
function __gantry_environments
  gantry __complete environments 2>/dev/null
end

function __gantry_is
  set -l current (__gantry_path)
  test "$current" = "$argv[1]"
end

complete -c gantry -f
${completes.join('\n')}
`;
}
