// Reads a generated user-data file back: the plan inside it, the payload's version, size by part.
import { brotliDecompressSync } from 'node:zlib';
import yaml from 'js-yaml';
import type { Plan } from '../contract/plan';
import { decode94, Decode94Error } from './base94';
import { unpack } from './pack';
import { SERVER_PATHS } from '../contract/paths';
import { planModules } from '../contract/pieces';
import { byteLength, measure, USER_DATA_LIMIT, type Part } from './render';
import { Fail } from '../contract/fail';

export interface Inspection {
  payloadVersion: string;
  /** the payload's pieces inside the user-data: main.mjs, the plan's steps and the shared code they need */
  payloadFiles: string[];
  /**
   * with a source named (plan.pieces): the plan's modules the server fetches from it, checked against
   * plan.pieces.digest
   */
  fetched: string[];
  plan: Plan;
  bytes: number;
  limit: number;
  parts: Part[];
}

interface WriteFile {
  path: string;
  content: string;
  encoding?: string;
}

/**
 * The file read back, or an InspectError that says in a sentence what is wrong with it: a file cut off
 * (a copy or download that ended early) is told apart from one that was edited or is no user-data.
 */
export function inspect(userData: string): Inspection {
  if (!userData.startsWith('#cloud-config'))
    throw new Fail('not firstboot user-data: it does not start with #cloud-config', 2);
  const text = userData;
  const bytes = byteLength(text);
  const cutOff = (before: string) =>
    new Fail(`the file is cut off at byte ${bytes}, ${before}: the file is incomplete; generate it again`, 2);
  let doc: { write_files?: WriteFile[]; runcmd?: unknown[] } | null;
  try {
    doc = yaml.load(text) as typeof doc;
  } catch (err) {
    const { reason, mark } = err as yaml.YAMLException;
    // js-yaml stops at the end of the text when the document is cut inside a quote, a list or a mapping
    if (mark && mark.position >= text.trimEnd().length) throw cutOff(`inside YAML that does not end (${reason})`);
    throw new Fail(
      `not firstboot user-data: not valid YAML at line ${(mark?.line ?? 0) + 1}, ` +
        `column ${(mark?.column ?? 0) + 1} (${reason})`,
      2,
    );
  }
  // what render writes last: without it, a file that starts as firstboot's ended before its end
  const ours = /^#cloud-config\r?\n# firstboot /.test(text);
  const complete =
    !ours || doc?.runcmd?.some((c) => Array.isArray(c) && c.join(' ') === 'systemctl enable --now firstboot.service');
  const file = (path: string) => {
    const found = doc?.write_files?.find((f) => f.path === path);
    if (!found)
      throw complete
        ? new Fail(`not firstboot user-data: no write_files entry for ${path}`, 2)
        : cutOff(`before its write_files entry for ${path}`);
    return found;
  };
  const packed = file(SERVER_PATHS.packed).content;
  const { firstboot, plan, files } = unpackBlock(text, packed, !!complete);
  const support = file(SERVER_PATHS.unit).content + file(SERVER_PATHS.prepare).content;
  if (!complete) throw cutOff('before the runcmd that starts firstboot.service');
  const parts = measure(text, { packed, support });
  return {
    payloadVersion: firstboot,
    payloadFiles: Object.keys(files),
    fetched: planModules(plan).filter((name) => !Object.hasOwn(files, name)),
    plan,
    bytes,
    limit: USER_DATA_LIMIT,
    parts,
  };
}

/** The plan and payload from the base94 block, or why not: cut off (and where), or damaged. */
function unpackBlock(userData: string, packed: unknown, complete: boolean): ReturnType<typeof unpack> {
  let compressed: Buffer;
  try {
    if (typeof packed !== 'string') throw new Decode94Error('it is not text');
    compressed = decode94(packed);
  } catch (err) {
    if (!(err instanceof Decode94Error)) throw err;
    // in a file that ends early, a block that does not decode is one the end cut
    if (!complete) {
      // the block's last line, where it is in the file: where the cut is
      const last = typeof packed === 'string' ? packed.split('\n').pop()! : undefined;
      const end = byteLength(last ? userData.slice(0, userData.lastIndexOf(last) + last.length) : userData);
      throw new Fail(
        `the payload block is cut off at byte ${end}${err.short ? ` (${err.message})` : ''}: the file is ` +
          `incomplete; generate it again`,
        2,
      );
    }
    throw new Fail(`the payload block is damaged: ${err.message}; generate the file again`, 2);
  }
  let text: string;
  try {
    text = brotliDecompressSync(compressed).toString('utf8');
  } catch {
    throw new Fail('the payload block is damaged: it does not decompress; generate the file again', 2);
  }
  try {
    return unpack(text);
  } catch (err) {
    throw new Fail(`the payload block is damaged: ${(err as Error).message}; generate the file again`, 2);
  }
}
