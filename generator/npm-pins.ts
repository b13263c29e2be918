// The npm packages the payload fetches on the server, pinned to what package-lock.json records: the
// exact version and its sha512 integrity, so the server checks each tarball as apt checks a .deb.
import type { NpmPackage } from '../contract/plan';
import lock from '../package-lock.json' with { type: 'json' };

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

const locked = lock.packages as Record<string, { version?: string; integrity?: string }>;

export function pin(name: string): NpmPackage {
  const entry = locked[`node_modules/${name}`];
  if (!entry?.version || !entry.integrity?.startsWith('sha512-')) throw new Error(`package-lock.json pins no sha512 version of ${name}`);
  return { name, version: entry.version, integrity: entry.integrity };
}
