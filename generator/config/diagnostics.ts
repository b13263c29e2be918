// Diagnostics and their formatting, after Butane (and rustc): a header naming the path, the place,
// then the source line with the offending node underlined.
import { hidePrivateKeys } from './ssh-key';
import type { Span } from './yaml';

export interface Diagnostic {
  severity: 'error';
  /** YAML path of the option at fault, such as `$.admin.ssh_keys[1]` */
  path: string;
  message: string;
  /** where in the config file, when the problem is in it */
  span?: Span;
  /** where the value came from when not from the config file, such as `--ssh-key ~/.ssh/id.pub` */
  origin?: string;
}

/** The config text the diagnostics point into. `text` is empty when there is no file. */
export interface Source {
  /** the file as the user named it; `(built-in defaults)` when there is none */
  name: string;
  text: string;
}

export interface FormatOptions {
  /** ANSI colours: the CLI passes isTTY && !NO_COLOR */
  color: boolean;
}

const ANSI = { red: '\x1b[1;31m', blue: '\x1b[1;34m', bold: '\x1b[1m', reset: '\x1b[0m' };

export function formatDiagnostics(
  diagnostics: readonly Diagnostic[],
  source: Source,
  { color }: FormatOptions,
): string {
  const paint = (style: keyof typeof ANSI, text: string) => (color ? `${ANSI[style]}${text}${ANSI.reset}` : text);
  const lines = source.text.split(/\r?\n/);
  const secret = privateKeyLines(lines);
  return diagnostics
    .map((d) => {
      // a private key pasted where a value belongs is never printed back, whichever message quotes it
      const out = [`${paint('red', `${d.severity}[${d.path}]`)}${paint('bold', `: ${hidePrivateKeys(d.message)}`)}`];
      const span = d.span;
      if (!span) {
        const where = d.origin ?? (source.text ? source.name : undefined);
        if (where) out.push(`  ${paint('blue', '-->')} ${hidePrivateKeys(where)}`);
        return out.join('\n');
      }
      const number = String(span.line);
      const gutter = ' '.repeat(number.length + 2);
      const bar = paint('blue', '|');
      if (secret.has(span.line)) {
        out.push(
          `${' '.repeat(number.length)} ${paint('blue', '-->')} ${source.name}:${span.line}:${span.column} ` +
            `(the line holds a private key: not shown)`,
        );
        return out.join('\n');
      }
      const text = lines[span.line - 1] ?? '';
      const length = Math.max(1, Math.min(span.length, text.length - span.column + 1));
      out.push(
        `${' '.repeat(number.length)} ${paint('blue', '-->')} ${source.name}:${span.line}:${span.column}`,
        `${gutter}${bar}`,
        `${paint('blue', ` ${number}`)} ${bar} ${text}`,
        `${gutter}${bar} ${' '.repeat(span.column - 1)}${paint('red', '^'.repeat(length))}`,
      );
      return out.join('\n');
    })
    .join('\n\n');
}

/** The numbers (from 1) of the lines a private key block spans: its first line to its END line. */
function privateKeyLines(lines: string[]): Set<number> {
  const hidden = new Set<number>();
  let inside = false;
  for (const [i, line] of lines.entries()) {
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PuTTY-User-Key-File-/.test(line)) inside = true;
    if (inside) hidden.add(i + 1);
    if (/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(line)) inside = false;
  }
  return hidden;
}
