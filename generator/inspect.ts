// Reads a generated user-data file back: the plan inside it, the payload's version, size by part.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import type { Plan } from '../contract/plan';
import { decode85 } from './base85';
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
  const payloadEntry = file(SERVER_PATHS.packed);
  const packed = brotliDecompressSync(decode85(payloadEntry.content)).toString('utf8');
  const header = JSON.parse(packed.slice(0, packed.indexOf('\n'))) as { firstboot?: string; files?: Record<string, number> };
  const planEntry = file(SERVER_PATHS.plan);
  const support = file(SERVER_PATHS.unit).content + file(SERVER_PATHS.prepare).content;
  const parts = measure(text, { payload: payloadEntry.content, plan: planEntry.content, support });
  return {
    payloadVersion: header.firstboot ?? 'unknown',
    payloadFiles: Object.keys(header.files ?? {}),
    plan: JSON.parse(gunzipSync(Buffer.from(planEntry.content, 'base64')).toString('utf8')) as Plan,
    bytes: byteLength(userData),
    limit: USER_DATA_LIMIT,
    parts,
  };
}
