// Reads a generated user-data file back: the plan inside it, the payload's version, size by part.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import type { Plan } from '../contract/plan';
import { decode85 } from './base85';
import { measure, PATHS, USER_DATA_LIMIT, type Part } from './render';

export interface Inspection {
  payloadVersion: string;
  plan: Plan;
  characters: number;
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
  const payloadEntry = file(PATHS.payload);
  const payload = brotliDecompressSync(decode85(payloadEntry.content)).toString('utf8');
  const planEntry = file(PATHS.plan);
  const payloadVersion = payload.split('\n')[1]?.match(/^\/\/ ?firstboot (\S+)/)?.[1] ?? 'unknown';
  const support = file(PATHS.unit).content + file(PATHS.prepare).content;
  const parts = measure(text, { payload: payloadEntry.content, plan: planEntry.content, support });
  return {
    payloadVersion,
    plan: JSON.parse(gunzipSync(Buffer.from(planEntry.content, 'base64')).toString('utf8')) as Plan,
    characters: userData.length,
    limit: USER_DATA_LIMIT,
    parts,
  };
}
