import { shQuote } from './bash.js';
import type { CommandTree } from './command-tree.js';

/** `name:description` for _describe; a colon in the name would end it early. */
const described = (name: string, description: string): string => shQuote(`${name.replace(/:/g, '\\:')}:${description}`);

const array = (list: readonly string[]): string => `(${list.map(shQuote).join(' ')})`;

/**
 * The zsh completion script: the same walk as bash's (bash.ts) over the same tree, with each
 * subcommand's description shown beside it (_describe). `words` and `path` are zsh's own variables,
 * so the command path is `cmdpath`.
 */
export function zshScript(tree: CommandTree): string {
  const specs = tree.commands.map((c) => {
    const opts = c.options.flatMap((o) => o.flags);
    const vals = c.options.filter((o) => o.takesValue).flatMap((o) => o.flags);
    const subs = c.subcommands.map((s) => s.name);
    const desc = c.subcommands.map((s) => described(s.name, s.description));
    return `    ${shQuote(c.path.join(' '))}) subs=${array(subs)} desc=(${desc.join(' ')}) opts=${array(opts)} vals=${array(vals)} envarg=${c.environmentArgument ? 1 : 0} ;;`;
  });
  const envFlags = [...new Set(tree.commands.flatMap((c) => c.options.filter((o) => o.environment).flatMap((o) => o.flags)))];
  const choices = [...tree.commands.map((c) => ({ path: c.path, options: c.options })), { path: [], options: tree.globals }].flatMap((c) =>
    c.options.filter((o) => o.choices.length > 0).map((o) => `    ${o.flags.map((f) => shQuote(`${c.path.join(' ')}|${f}`)).join('|')}) allowed=${array(o.choices)} ;;`),
  );
  return `#compdef gantry
# gantry completion for zsh, made by \`gantry completion zsh\` from the commands of this version.
# Load it now:      source <(gantry completion zsh)
# or for good:      gantry completion zsh > "\${fpath[1]}/_gantry"

_gantry_spec() {
  subs=() desc=() opts=() vals=() envarg=0
  case "$1" in
${specs.join('\n')}
  esac
}

_gantry_choices() {
  allowed=()
  case "$1|$2" in
${choices.join('\n')}
  esac
}

# The environments of the gantry.yaml the CLI would read here (a hidden command; nothing when there is none).
_gantry_environments() {
  allowed=(\${(f)"$(\${words[1]} __complete environments 2>/dev/null)"})
}

_gantry() {
  local -a subs desc opts vals allowed
  local envarg=0 npos=0
  local -a gopts=${array(tree.globals.flatMap((o) => o.flags))} gvals=${array(tree.globals.filter((o) => o.takesValue).flatMap((o) => o.flags))}
  local cmdpath='' word prev='' i skip=0
  _gantry_spec ''
  for ((i = 2; i < CURRENT; i++)); do
    word=\${words[i]}
    if ((skip)); then skip=0; continue; fi
    if [[ $word == -* ]]; then
      if (( \${vals[(Ie)$word]} || \${gvals[(Ie)$word]} )); then skip=1; fi
    elif (( \${subs[(Ie)$word]} )); then
      cmdpath=\${cmdpath:+$cmdpath }$word
      _gantry_spec "$cmdpath"
      npos=0
    else
      npos=$((npos + 1))
    fi
  done
  if ((skip)); then
    prev=\${words[CURRENT - 1]}
    _gantry_choices "$cmdpath" "$prev"
    (( \${#allowed} )) || _gantry_choices '' "$prev"
    if (( ! \${#allowed} )) && [[ " ${envFlags.join(' ')} " == *" $prev "* ]]; then _gantry_environments; fi
    if (( \${#allowed} )); then compadd -a allowed; else _files; fi
    return
  fi
  if [[ \${words[CURRENT]} == -* ]]; then
    compadd -- $opts $gopts
  elif (( \${#subs} )); then
    _describe -t commands 'command' desc
  elif (( envarg && npos == 0 )); then
    _gantry_environments
    compadd -a allowed
  else
    _files
  fi
}

if [[ "\${funcstack[1]}" == _gantry ]]; then
  _gantry "$@"
else
  compdef _gantry gantry
fi
`;
}
