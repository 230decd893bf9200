import type { CommandTree, OptionSpec } from './command-tree.js';

/** A word in single quotes, safe in bash and zsh. */
export const shQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

const words = (list: readonly string[]): string => shQuote(list.join(' '));

/**
 * The bash completion script: `_gantry_spec PATH` sets the subcommands, options and options taking a
 * value of the command at PATH; `_gantry` walks the words typed so far (skipping option values) to
 * find that command. Global flags are offered after any command. Works in bash 3.2 (no associative arrays).
 */
export function bashScript(tree: CommandTree): string {
  const specs = tree.commands.map((c) => {
    const opts = c.options.flatMap((o) => o.flags);
    const vals = c.options.filter((o) => o.takesValue).flatMap((o) => o.flags);
    return `    ${shQuote(c.path.join(' '))}) subs=${words(c.subcommands.map((s) => s.name))} opts=${words(opts)} vals=${words(vals)} envarg=${c.environmentArgument ? 1 : 0} ;;`;
  });
  const choices = [...tree.commands.map((c) => ({ path: c.path, options: c.options })), { path: [], options: tree.globals }].flatMap((c) =>
    c.options.filter((o) => o.choices.length > 0).map((o) => `    ${o.flags.map((f) => shQuote(`${c.path.join(' ')}|${f}`)).join('|')}) echo ${words(o.choices)} ;;`),
  );
  const globalFlags = (filter: (o: OptionSpec) => boolean): string => words(tree.globals.filter(filter).flatMap((o) => o.flags));
  const envFlags = [...new Set(tree.commands.flatMap((c) => c.options.filter((o) => o.environment).flatMap((o) => o.flags)))];
  return `# gantry completion for bash, made by \`gantry completion bash\` from the commands of this version.
# Load it now:      source <(gantry completion bash)
# or for good:      gantry completion bash > ~/.local/share/bash-completion/completions/gantry

_gantry_spec() {
  subs='' opts='' vals='' envarg=0
  case "$1" in
${specs.join('\n')}
  esac
}

_gantry_choices() {
  case "$1|$2" in
${choices.join('\n')}
  esac
}

# The environments of the gantry.yaml the CLI would read here (a hidden command; nothing when there is none).
_gantry_environments() {
  "\${COMP_WORDS[0]}" __complete environments 2>/dev/null
}

_gantry() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev='' path='' word i skip=0 npos=0 subs opts vals envarg
  local gopts=${globalFlags(() => true)} gvals=${globalFlags((o) => o.takesValue)}
  _gantry_spec ''
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if ((skip)); then skip=0; continue; fi
    case "$word" in
      -*) [[ " $vals $gvals " == *" $word "* ]] && skip=1 ;;
      *) if [[ " $subs " == *" $word "* ]]; then path=\${path:+$path }$word; _gantry_spec "$path"; npos=0; else npos=$((npos + 1)); fi ;;
    esac
  done
  ((COMP_CWORD > 1)) && prev=\${COMP_WORDS[COMP_CWORD - 1]}
  if ((skip)); then
    local allowed
    allowed=$(_gantry_choices "$path" "$prev")
    [[ -z $allowed ]] && allowed=$(_gantry_choices '' "$prev")
    [[ -z $allowed && " ${envFlags.join(' ')} " == *" $prev "* ]] && allowed=$(_gantry_environments)
    # A value without a list of its own (a file, a ref, a reason): bash's default completion (-o default).
    [[ -n $allowed ]] && COMPREPLY=($(compgen -W "$allowed" -- "$cur"))
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts $gopts" -- "$cur"))
  elif [[ -n $subs ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  elif ((envarg && npos == 0)); then
    COMPREPLY=($(compgen -W "$(_gantry_environments)" -- "$cur"))
  fi
  return 0
}

complete -o default -F _gantry gantry
`;
}
