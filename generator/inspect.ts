// Reads a generated user-data file back: the plan inside it, the payload's version, size by part.
import { gunzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import type { Plan } from './plan-types';
import { measure, PATHS, USER_DATA_LIMIT, type Part } from './render';

export interface Inspection {
  payloadVersion: string;
  plan: Plan;
  compressed: boolean;
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

/** Hetzner's datasource base64-decodes user_data and cloud-init gunzips it; do the same. */
function unwrap(userData: string): { text: string; compressed: boolean } {
  if (userData.startsWith('#cloud-config')) return { text: userData, compressed: false };
  try {
    const text = gunzipSync(Buffer.from(userData.trim(), 'base64')).toString('utf8');
    if (text.startsWith('#cloud-config')) return { text, compressed: true };
  } catch {}
  throw new InspectError('not firstboot user-data: neither #cloud-config nor gzip+base64 of it');
}

export function inspect(userData: string): Inspection {
  const { text, compressed } = unwrap(userData);
  const doc = yaml.load(text) as { write_files?: WriteFile[] } | null;
  const file = (path: string) => {
    const found = doc?.write_files?.find((f) => f.path === path);
    if (!found) throw new InspectError(`not firstboot user-data: no write_files entry for ${path}`);
    return found;
  };
  const payloadEntry = file(PATHS.payload);
  const payload = gunzipSync(Buffer.from(payloadEntry.content, 'base64')).toString('utf8');
  const planEntry = file(PATHS.plan);
  const payloadVersion = payload.split('\n')[1]?.match(/^\/\/ ?firstboot (\S+)/)?.[1] ?? 'unknown';
  const support = file(PATHS.unit).content + file(PATHS.installNode).content;
  const parts = measure(text, { payload: payloadEntry.content, plan: planEntry.content, support });
  return {
    payloadVersion,
    plan: JSON.parse(planEntry.content) as Plan,
    compressed,
    characters: userData.length,
    limit: USER_DATA_LIMIT,
    parts,
  };
}
