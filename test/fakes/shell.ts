// A recording shell with zx's `$` shape: commands are recorded as argv strings and answered by rules.
import type { Output, Shell, ShellOptions } from '../../payload/lib/shell';

export interface Reply {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

type Rule = [pattern: RegExp | string, reply: Reply | ((cmd: string, opts: ShellOptions) => Reply)];

export interface RecordingShell extends Shell {
  /** every command run, as zx would build its command line */
  commands: string[];
  /** stdin given to each command, by index in commands */
  inputs: Map<number, string>;
  /** answer commands matching pattern; the latest matching rule wins */
  on(pattern: RegExp | string, reply: Rule[1]): RecordingShell;
}

const quote = (arg: string) => (arg === '' || /[\s'"$\\]/.test(arg) ? `'${arg.replace(/'/g, `'\\''`)}'` : arg);

/** The command line as zx builds it: literal parts verbatim, each value quoted, arrays spread. */
export function commandLine(pieces: TemplateStringsArray, args: unknown[]): string {
  return pieces.reduce((line, piece, i) => {
    if (i === 0) return piece;
    const value = args[i - 1];
    const quoted = Array.isArray(value) ? value.map((v) => quote(String(v))).join(' ') : quote(String(value));
    return line + quoted + piece;
  }, '');
}

export function recordingShell(): RecordingShell {
  const rules: Rule[] = [];
  const commands: string[] = [];
  const inputs = new Map<number, string>();

  const make = (opts: ShellOptions): Shell =>
    ((first: TemplateStringsArray | ShellOptions, ...args: unknown[]) => {
      if (!Array.isArray(first)) return make({ ...opts, ...(first as ShellOptions) });
      const cmd = commandLine(first as TemplateStringsArray, args);
      if (opts.input !== undefined) inputs.set(commands.length, opts.input);
      commands.push(cmd);
      const rule = [...rules]
        .reverse()
        .find(([p]) => (typeof p === 'string' ? cmd === p || cmd.startsWith(p + ' ') : p.test(cmd)));
      if (!rule) return Promise.reject(new Error(`the recording shell has no rule for: ${cmd}`));
      const reply = typeof rule[1] === 'function' ? rule[1](cmd, opts) : rule[1];
      const out: Output = {
        stdout: reply.stdout ?? '',
        stderr: reply.stderr ?? '',
        exitCode: reply.exitCode ?? 0,
        ok: (reply.exitCode ?? 0) === 0,
      };
      if (!out.ok && !opts.nothrow)
        return Promise.reject(Object.assign(new Error(`${cmd}: exit ${out.exitCode}: ${out.stderr}`), out));
      return Promise.resolve(out);
    }) as Shell;

  const shell = make({}) as RecordingShell;
  shell.commands = commands;
  shell.inputs = inputs;
  shell.on = (pattern, reply) => (rules.push([pattern, reply]), shell);
  return shell;
}
