// `firstboot completion bash|zsh|fish`: a completion script made from the command table, so it always
// knows every command and option this version has. Options that take a file complete file names.
import type { Command } from './command';
import { Fail } from '../contract/fail';

const FILE_OPTIONS = new Set(['config', 'ssh-key', 'out']);
const SHELLS = ['bash', 'zsh', 'fish'] as const;

interface Option {
  long: string;
  short?: string;
  takesValue: boolean;
}

const optionsOf = (command: Command): Option[] =>
  Object.entries(command.options ?? {}).map(([long, o]) => ({ long, short: o.short, takesValue: o.type === 'string' }));

function bash(commands: Record<string, Command>): string {
  const cases = Object.entries(commands)
    .map(
      ([name, c]) =>
        `    ${name}) opts="${optionsOf(c)
          .map((o) => `--${o.long}`)
          .join(' ')} --help" ;;`,
    )
    .join('\n');
  const files = [...FILE_OPTIONS].map((o) => `--${o}`).join('|');
  return `# bash completion for firstboot: source <(firstboot completion bash)
_firstboot() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} opts=
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${Object.keys(commands).join(' ')} help" -- "$cur"))
    return
  fi
  case $prev in -c|${files}) COMPREPLY=($(compgen -f -- "$cur")); return ;; esac
  case \${COMP_WORDS[1]} in
${cases}
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o default -F _firstboot firstboot
`;
}

function zsh(commands: Record<string, Command>): string {
  const spec = (o: Option) => {
    const value = o.takesValue ? (FILE_OPTIONS.has(o.long) ? ':file:_files' : ':value: ') : '';
    return o.short ? `'(-${o.short} --${o.long})'{-${o.short},--${o.long}}'${value}'` : `'--${o.long}${value}'`;
  };
  const cases = Object.entries(commands)
    .map(
      ([name, c]) =>
        `    ${name}) _arguments ${[...optionsOf(c).map(spec), "'--help'", "'*:file:_files'"].join(' ')} ;;`,
    )
    .join('\n');
  const described = Object.entries(commands)
    .map(([name, c]) => `'${name}:${c.summary.replace(/'/g, '')}'`)
    .join(' ');
  return `#compdef firstboot
# zsh completion for firstboot: source <(firstboot completion zsh), after compinit
_firstboot() {
  if (( CURRENT == 2 )); then
    local -a commands=(${described})
    _describe command commands
    return
  fi
  (( CURRENT-- )); shift words
  case $words[1] in
${cases}
  esac
}
compdef _firstboot firstboot
`;
}

function fish(commands: Record<string, Command>): string {
  const lines = ['# fish completion for firstboot: firstboot completion fish | source', 'complete -c firstboot -f'];
  for (const [name, c] of Object.entries(commands)) {
    lines.push(`complete -c firstboot -n __fish_use_subcommand -a ${name} -d '${c.summary.replace(/'/g, '')}'`);
    for (const o of optionsOf(c)) {
      const value = o.takesValue ? (FILE_OPTIONS.has(o.long) ? ' -r -F' : ' -r') : '';
      lines.push(
        `complete -c firstboot -n '__fish_seen_subcommand_from ${name}' ` +
          `-l ${o.long}${o.short ? ` -s ${o.short}` : ''}${value}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

export function completionCommand(commands: () => Record<string, Command>): Command {
  return {
    summary: 'print a shell completion script (bash, zsh or fish)',
    usage: `firstboot completion bash|zsh|fish
  bash: source <(firstboot completion bash)     (or save it in ~/.local/share/bash-completion/completions/firstboot)
  zsh:  source <(firstboot completion zsh)      (after compinit)
  fish: firstboot completion fish > ~/.config/fish/completions/firstboot.fish`,
    options: {},
    async run(_values, [shell]) {
      if (!SHELLS.includes(shell as (typeof SHELLS)[number]))
        throw new Fail(`completion takes bash, zsh or fish${shell ? `, got "${shell}"` : ''}`, 2, { usage: true });
      process.stdout.write({ bash, zsh, fish }[shell as (typeof SHELLS)[number]](commands()));
      return 0;
    },
  };
}
