// loadConfig: firstboot.yaml (or nothing) plus --ssh-key values -> the resolved Config, or every
// problem at once, each with its path and place. Never prints and never throws for bad input.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Diagnostic, Source } from './diagnostics';
import { pathText, type Anchor, type Path } from './dsl';
import * as msg from './messages';
import { rules } from './rules';
import { schema, type Config } from './schema';
import { isPrivateKey, looksLikeKey, parseSshPublicKey, type SshPublicKey } from './ssh-key';
import { parseYaml, type Located, type Span } from './yaml';

export interface LoadOptions {
  /** the config file; without it (and without text) the built-in defaults apply */
  file?: string;
  /** the config's text, used instead of reading `file` (which then only names it and anchors key paths) */
  text?: string;
  /** --ssh-key values: key file paths (relative to the working directory) or key lines */
  sshKeys?: readonly string[];
  /** what ~ stands for in key paths; default $HOME */
  home?: string;
  /** the Hetzner image the server runs, when the CLI knows it (create, image) */
  image?: string;
}

export interface LoadResult {
  /** undefined exactly when diagnostics is not empty */
  config: Config | undefined;
  diagnostics: Diagnostic[];
  source: Source;
}

export async function loadConfig(options: LoadOptions = {}): Promise<LoadResult> {
  const { file } = options;
  const source: Source = {
    name: file ?? (options.text !== undefined ? 'firstboot.yaml' : '(built-in defaults)'),
    text: '',
  };
  const diagnostics: Diagnostic[] = [];
  const done = (config: Config | undefined): LoadResult => ({
    config: diagnostics.length === 0 ? config : undefined,
    diagnostics: inFileOrder(diagnostics),
    source,
  });

  if (options.text !== undefined) source.text = options.text;
  else if (file !== undefined) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      diagnostics.push({ severity: 'error', path: '$', message: msg.configUnreadable(file, osReason(err)) });
      return done(undefined);
    }
    const decoded = decodeUtf8(bytes);
    if ('problem' in decoded) {
      source.text = decoded.readable;
      diagnostics.push({
        severity: 'error',
        path: '$',
        message: msg.configNotUtf8(file, decoded.problem),
        span: decoded.span,
      });
      return done(undefined);
    }
    source.text = decoded.text;
  }

  const parsed = parseYaml(source.text);
  if (!parsed.ok) {
    diagnostics.push({ severity: 'error', path: '$', message: msg.yamlSyntax(parsed.message), span: parsed.span });
    return done(undefined);
  }

  const reported: string[] = [];
  const report = (path: Path, message: string, anchor: Anchor = 'value') => {
    reported.push(pathText(path));
    diagnostics.push({ severity: 'error', path: pathText(path), message, span: spanFor(parsed.locate, path, anchor) });
  };
  const config = schema.parse(parsed.value, [], { issue: report });

  // Keys: resolved after the schema so a path's problems point at its entry.
  const home = options.home ?? process.env.HOME ?? homedir();
  const baseDir = file !== undefined ? dirname(resolve(file)) : process.cwd();
  const keys: SshPublicKey[] = [];
  let keyProblems = 0;
  const written = config.admin.ssh_keys;
  for (const [i, entry] of written.entries()) {
    const path = ['admin', 'ssh_keys', i];
    if (!reported.includes(pathText(path))) {
      const got = await resolveKeys(entry, isKeyPath(entry), baseDir, home);
      if ('problem' in got) {
        keyProblems++;
        report(path, got.problem);
      } else keys.push(...got.keys);
    }
  }
  for (const [i, entry] of (options.sshKeys ?? []).entries()) {
    const asPath = !looksLikeKey(entry);
    const got =
      asPath || !isPrivateKey(entry)
        ? await resolveKeys(entry, asPath, process.cwd(), home)
        : { problem: msg.optionPrivate };
    if ('problem' in got) {
      keyProblems++;
      // a path names itself; a value is named by its place, since it may be a secret pasted by mistake
      diagnostics.push({
        severity: 'error',
        path: '--ssh-key',
        message: got.problem,
        origin: asPath ? `--ssh-key ${entry}` : `--ssh-key value ${i + 1}`,
      });
    } else keys.push(...got.keys);
  }
  const unique = [...new Map(keys.map((k) => [k.fingerprint, k.line])).values()];
  config.admin.ssh_keys = unique;
  if (unique.length === 0 && keyProblems === 0 && !reported.includes('$.admin.ssh_keys')) {
    // At the empty list if there is one, else at `admin:`, else nowhere (no file, or no admin section).
    const span = parsed.locate(['admin', 'ssh_keys'])?.value ?? parsed.locate(['admin'])?.key;
    diagnostics.push({ severity: 'error', path: '$.admin.ssh_keys', message: msg.noKeys, span });
  }

  const valid = (path: Path) => {
    const text = pathText(path);
    return !reported.some((r) => r === text || r.startsWith(`${text}.`) || r.startsWith(`${text}[`));
  };
  for (const rule of rules)
    rule(config, { report: (path, message) => report(path, message), valid, image: options.image });

  return done(config);
}

/** Top to bottom as in the file (a stable sort); those with no place in it come last. */
function inFileOrder(diagnostics: Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic) => (d.span ? d.span.line * 1e6 + d.span.column : Infinity);
  return [...diagnostics].sort((a, b) => key(a) - key(b));
}

/** A path starts with ~/ / ./ ../ or ends in .pub; anything else is key text. */
export function isKeyPath(entry: string): boolean {
  return /^(~\/|\/|\.\.?\/)/.test(entry) || entry.trim().endsWith('.pub');
}

async function resolveKeys(
  entry: string,
  asPath: boolean,
  baseDir: string,
  home: string,
): Promise<{ keys: SshPublicKey[] } | { problem: string }> {
  if (!asPath) {
    const got = parseSshPublicKey(entry);
    return got.ok ? { keys: [got.key] } : { problem: got.message };
  }
  const expanded = entry.startsWith('~/') ? `${home}/${entry.slice(2)}` : entry;
  const full = isAbsolute(expanded) ? expanded : resolve(baseDir, expanded);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (err) {
    return {
      problem: msg.keyFileUnreadable(
        full === entry ? entry : `${entry} (${full})`,
        osReason(err),
        (err as NodeJS.ErrnoException).code === 'ENOENT',
      ),
    };
  }
  if (isPrivateKey(text)) return { problem: msg.keyFilePrivate(entry) };
  const lines = text.split(/\r?\n/).map((line, i) => ({ line: line.trim(), number: i + 1 }));
  const keyLines = lines.filter(({ line }) => line !== '' && !line.startsWith('#'));
  if (keyLines.length === 0) return { problem: msg.keyFileEmpty(entry) };
  const keys: SshPublicKey[] = [];
  for (const { line, number } of keyLines) {
    const got = parseSshPublicKey(line);
    if (!got.ok) return { problem: msg.keyInFile(entry, number, got.message) };
    keys.push(got.key);
  }
  return { keys };
}

/** Why a file could not be read, as a user would say it rather than Node's "ENOENT: ...". */
export function osReason(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'there is no such file';
    case 'EACCES':
    case 'EPERM':
      return 'this user may not read it';
    case 'EISDIR':
      return 'it is a folder, not a file';
    default:
      return (err instanceof Error ? err.message : String(err)).replace(/, \w+ '.*'$/, '');
  }
}

function spanFor(locate: (path: Path) => Located | undefined, path: Path, anchor: Anchor) {
  // An option reported but absent from the file (a rule on defaults) points at its nearest ancestor.
  for (let n = path.length; n >= 0; n--) {
    const found = locate(path.slice(0, n));
    if (found) return anchor === 'key' || n < path.length ? (found.key ?? found.value) : found.value;
  }
  return undefined;
}

/** The file as UTF-8, or where it is not: a UTF-16 byte order mark, or the first byte that is not UTF-8. */
export function decodeUtf8(bytes: Buffer): { text: string } | { problem: string; span: Span; readable: string } {
  // what the excerpt shows: each byte that is not UTF-8 as U+FFFD
  const readable = bytes.toString('utf8');
  const bom = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  if (bom) return { problem: 'it is UTF-16', span: { line: 1, column: 1, length: 1 }, readable };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const before = readable.slice(0, Math.max(0, readable.indexOf('\uFFFD'))).split('\n');
    const span = { line: before.length, column: before.at(-1)!.length + 1, length: 1 };
    return { problem: `a byte that is not UTF-8 at line ${span.line}, column ${span.column}`, span, readable };
  }
}
