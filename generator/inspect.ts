// Reads a generated user-data file back: the plan inside it, the payload's version, size by part.
import { brotliDecompressSync } from 'node:zlib';
import yaml from 'js-yaml';
import type { Plan } from '../contract/plan';
import { decode85 } from './base85';
import { unpack } from './pack';
import { SERVER_PATHS } from '../contract/paths';
import { byteLength, measure, USER_DATA_LIMIT, type Part } from './render';

export interface Inspection {
  payloadVersion: string;
  /** the payload's pieces: main.mjs, the plan's steps and the shared code they need */
  payloadFiles: string[];
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

export class InspectError extends Error {}

export function inspect(userData: string): Inspection {
  if (!userData.startsWith('#cloud-config')) throw new InspectError('not firstboot user-data: it does not start with #cloud-config');
  const text = userData;
  const doc = yaml.load(text) as { write_files?: WriteFile[] } | null;
  const file = (path: string) => {
    const found = doc?.write_files?.find((f) => f.path === path);
    if (!found) throw new InspectError(`not firstboot user-data: no write_files entry for ${path}`);
    return found;
  };
  const packed = file(SERVER_PATHS.packed).content;
  const { firstboot, plan, files } = unpack(brotliDecompressSync(decode85(packed)).toString('utf8'));
  const support = file(SERVER_PATHS.unit).content + file(SERVER_PATHS.prepare).content;
  const parts = measure(text, { packed, support });
  return {
    payloadVersion: firstboot,
    payloadFiles: Object.keys(files),
    plan,
    bytes: byteLength(userData),
    limit: USER_DATA_LIMIT,
    parts,
  };
}
