// plan + payload pieces -> #cloud-config text, and the size gate Hetzner imposes.
import { brotliCompressSync, constants } from 'node:zlib';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import yaml from 'js-yaml';
import { Fail } from '../contract/fail';
import type { Plan } from '../contract/plan';
import { SERVER_PATHS } from '../contract/paths';
import { encode94 } from './base94';
import { pack, type Payload } from './pack';

export type { Payload };

/** Hetzner refuses longer user_data ("Length must be between 0 and 32768"), counted in UTF-8 bytes. */
export const USER_DATA_LIMIT = 32_768;

export const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

const CLOUD_INIT_DIR = new URL('../cloud-init/', import.meta.url);
const PAYLOAD_DIR = new URL('../dist/payload/', import.meta.url);

export interface RenderOptions {
  /** the built payload; read from dist/payload/ when absent */
  payload?: Payload;
  /** an ed25519 host key pair for cloud-init to install, so the client can trust it before first contact */
  hostKey?: { private: string; public: string };
}

export interface Part {
  name: string;
  bytes: number;
}

export interface Rendered {
  userData: string;
  /** bytes each part takes in the user-data, for the size report */
  parts: Part[];
}

/** What makes room in any user-data, after the advice for this one. */
export const ROOM_ADVICE = `to make room: turn off a capability you can do without (enabled: false in its section); use
ed25519 admin keys (about 100 bytes each, an RSA-4096 key about 740: ssh-keygen -t ed25519); or build
a golden image once with firstboot image and create servers from it with firstboot create --image,
whose user-data holds only the plan and the host key.`;

export class SizeError extends Fail {
  /** what costs what (generator/size.ts), where the caller measured it */
  costs?: string;
  /** what would make it fit, when more than the usual advice (ROOM_ADVICE) */
  advice?: string;
  constructor(
    readonly parts: Part[],
    readonly bytes: number,
  ) {
    super(
      `the user-data is ${bytes} bytes, ${bytes - USER_DATA_LIMIT} more than the ${USER_DATA_LIMIT} Hetzner accepts`,
      2,
    );
  }

  override describe(): string {
    const more = [this.costs, this.advice]
      .filter(Boolean)
      .map((text) => `${text}\n`)
      .join('');
    return `error: ${this.message}\n${sizeReport(this.parts, this.bytes)}\n${more}${ROOM_ADVICE}`;
  }
}

export function readPayload(): Payload {
  const read = (name: string) => readFileSync(new URL(name, PAYLOAD_DIR), 'utf8');
  const names = readdirSync(PAYLOAD_DIR, { recursive: true, encoding: 'utf8' }).filter((name) =>
    statSync(new URL(name, PAYLOAD_DIR)).isFile(),
  );
  return {
    pieces: JSON.parse(read('pieces.json')) as Payload['pieces'],
    files: Object.fromEntries(names.sort().map((name) => [name, read(name)])),
    unpack: read('unpack.js'),
  };
}

/** A template as the server gets it: comments are for readers of cloud-init/, not worth user-data bytes. */
const template = (name: string) =>
  readFileSync(new URL(name, CLOUD_INIT_DIR), 'utf8').replace(/^[ \t]*#(?!!).*\n/gm, '');
/** brotli beats gzip by ~10% on JavaScript, base94 beats base64 by 9%; cloud-init knows neither, node does */
const br94 = (text: string) =>
  encode94(
    brotliCompressSync(text, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
      },
    }),
  );

/** Bytes each part takes in the document. */
export function measure(userData: string, texts: { packed: string; support: string }): Part[] {
  const parts = [
    { name: 'plan and payload', bytes: byteLength(texts.packed) },
    { name: 'unit and prepare script', bytes: byteLength(texts.support) },
  ];
  return [
    ...parts,
    { name: 'cloud-config around them', bytes: byteLength(userData) - parts.reduce((sum, p) => sum + p.bytes, 0) },
  ];
}

/** The packages and extras steps' lists, for prepare's one transaction; only Debian package names reach the shell. */
function packagesOf(plan: Plan): string[] {
  const names = plan.steps.flatMap((step) => (step.id === 'packages' || step.id === 'extras' ? step.install : []));
  const odd = names.find((name) => !/^[a-z0-9][a-z0-9+.-]+$/.test(name));
  if (odd) throw new Error(`"${odd}" is not a Debian package name`);
  return names;
}

export interface ServerFile {
  path: string;
  permissions: string;
  content: string;
}

/**
 * What the server needs to run the plan: the packed plan and payload, the script that installs Node.js
 * and unpacks them, and the unit that runs them. The user-data writes them; `apply` sends them over SSH.
 */
export function serverFiles(plan: Plan, payload: Payload = readPayload()): ServerFile[] {
  // a function replacement: the code holds "$" that a replacement string would read as patterns
  if (payload.unpack.includes("'"))
    throw new Error('the unpacker holds a single quote, which would end its shell string');
  const prepare = template('prepare')
    .replace('@UNPACK@', () => unpacker(payload))
    .replace('@PACKAGES@', packagesOf(plan).join(' '));
  return [
    { path: SERVER_PATHS.packed, permissions: '0600', content: br94(pack(payload, plan)) },
    { path: SERVER_PATHS.prepare, permissions: '0700', content: prepare },
    { path: SERVER_PATHS.unit, permissions: '0644', content: template('firstboot.service') },
  ];
}

/** cloud-init/unpack.js as built, ready for `node -e`: node -e UNPACKER PACKED_FILE PAYLOAD_DIR PLAN_FILE */
export const unpacker = (payload: Payload) => payload.unpack.trim();

/** The user-data however large it comes out; render() is this plus Hetzner's limit. */
export function assemble(plan: Plan, options: RenderOptions = {}): Rendered {
  const files = serverFiles(plan, options.payload);
  const doc = {
    // no ECDSA host key (ssh-audit fails NIST curves); the payload would only have to delete it
    ssh_genkeytypes: ['ed25519', 'rsa'],
    ...(options.hostKey && {
      ssh_keys: { ed25519_private: options.hostKey.private, ed25519_public: options.hostKey.public },
    }),
    // cloud-init writes a file 0644 unless told otherwise
    write_files: files.map(({ path, permissions, content }) => ({
      path,
      ...(permissions !== '0644' && { permissions }),
      content,
    })),
  };
  const [packed, support] = [files[0].content, files[1].content + files[2].content];
  const head =
    `#cloud-config\n# firstboot ${plan.firstboot}, config ${plan.configHash.slice(0, 12)}: ` +
    `generated, do not edit\n`;
  // started here and waited for (enable --now starts it), so `cloud-init status --wait` and
  // boot-finished mean "hardened"; enable reloads systemd's units itself, so the new one is seen. In flow
  // style, which js-yaml writes only for a whole document
  const runcmd = 'runcmd:\n- [systemctl, enable, --now, firstboot.service]\n';
  // a list's items at its key's indentation: each line of the files inside costs two bytes less
  const layout = { noArrayIndent: true, lineWidth: -1, noRefs: true, quotingType: '"' } as const;
  const userData = head + yaml.dump(doc, layout) + runcmd;
  return { userData, parts: measure(userData, { packed, support }) };
}

export function render(plan: Plan, options: RenderOptions = {}): Rendered {
  const rendered = assemble(plan, options);
  const bytes = byteLength(rendered.userData);
  if (bytes > USER_DATA_LIMIT) throw new SizeError(rendered.parts, bytes);
  return rendered;
}

export function sizeReport(parts: Part[], bytes: number): string {
  const rows = parts.map((p) => `  ${p.name.padEnd(26)} ${String(p.bytes).padStart(6)}`);
  const share = ((bytes / USER_DATA_LIMIT) * 100).toFixed(1);
  const room = bytes <= USER_DATA_LIMIT ? `${USER_DATA_LIMIT - bytes} left` : `${bytes - USER_DATA_LIMIT} over`;
  return (
    `size by part (bytes):\n${rows.join('\n')}\n` +
    `  ${'user-data'.padEnd(26)} ${String(bytes).padStart(6)}  ${share}% of ${USER_DATA_LIMIT}, ${room}`
  );
}
