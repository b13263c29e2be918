// The npm packages the payload fetches on the server, pinned to what package-lock.json records: the
// exact version and its sha512 integrity, so the server checks each tarball as apt checks a .deb.
import type { NpmPackage } from '../contract/plan';
import { treeDigest, treeId, type NpmTree } from '../contract/npm-tree';
import { DEVTOOLS_PINS } from '../contract/devtools-pins';
import pins from './pins.json' with { type: 'json' };
import lock from '../package-lock.json' with { type: 'json' };

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

const locked = lock.packages as Record<string, { version?: string; integrity?: string }>;

export function pin(name: string): NpmPackage {
  const entry = locked[`node_modules/${name}`];
  if (!entry?.version || !entry.integrity?.startsWith('sha512-'))
    throw new Error(`package-lock.json pins no sha512 version of ${name}`);
  return { name, version: entry.version, integrity: entry.integrity };
}

// The optional capabilities' pins, kept by `npm run pins` (scripts/pins.ts) apart from firstboot's own
// lock: Claude Code's, Context7's and GSD's in contract/devtools-pins.json (the devtools step carries
// them), the country-IP data's and each of Context7's and GSD's tarballs in ./pins.json.

/** the country-IP data GeoIP blocking reads */
export const geoipPin = (): NpmPackage => pins.geoip;

/**
 * A tree's tarballs, each with its own sha512; an Error unless they are the tree's packages and give its
 * digest, as the server will check (a mirror holding others would only fail there).
 */
export function treeTarballs(
  tree: NpmTree,
  tarballs: { path: string; version: string; integrity: string }[],
): NpmPackage[] {
  const entries = tarballs.map((p) => ({ id: `${p.path}@${p.version}`, integrity: p.integrity }));
  if (entries.map((e) => e.id).join('\n') !== tree.packages.join('\n') || treeDigest(entries) !== tree.digest) {
    throw new Error(`the tarballs listed for ${tree.main} are not the tree its digest pins: npm run pins writes both`);
  }
  return entries.map((e) => ({ name: treeId(e.id).name, version: treeId(e.id).version, integrity: e.integrity }));
}

/** every tarball the optional capabilities may fetch, for a mirror (and the VM tests' registry) to hold */
export function optionalTarballs(): NpmPackage[] {
  const { claude, context7, gsd } = DEVTOOLS_PINS;
  return [
    pins.geoip,
    ...Object.values(claude),
    ...treeTarballs(context7, pins.context7.tree),
    ...treeTarballs(gsd, pins.gsd.tree),
  ];
}
