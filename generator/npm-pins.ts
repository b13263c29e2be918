// The npm packages the payload fetches on the server, pinned to what package-lock.json records: the
// exact version and its sha512 integrity, so the server checks each tarball as apt checks a .deb.
import type { NpmPackage, NpmTree } from '../contract/plan';
import { treeDigest, treeId } from '../contract/npm-tree';
import pins from './pins.json' with { type: 'json' };
import lock from '../package-lock.json' with { type: 'json' };

const CONTEXT7 = '@upstash/context7-mcp';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

const locked = lock.packages as Record<string, { version?: string; integrity?: string }>;

export function pin(name: string): NpmPackage {
  const entry = locked[`node_modules/${name}`];
  if (!entry?.version || !entry.integrity?.startsWith('sha512-')) throw new Error(`package-lock.json pins no sha512 version of ${name}`);
  return { name, version: entry.version, integrity: entry.integrity };
}

// The optional capabilities' pins, kept by `npm run pins` (scripts/pins.ts) apart from firstboot's own lock.

/** Claude Code and Context7 */
export function devtoolsPins(): { claude: Record<'x64' | 'arm64', NpmPackage>; context7: NpmTree } {
  const { claude, context7 } = pins;
  const entries = context7.tree.map((p) => ({ id: `${p.path}@${p.version}`, integrity: p.integrity }));
  return {
    claude: claude as Record<'x64' | 'arm64', NpmPackage>,
    context7: { packages: entries.map((e) => e.id), digest: treeDigest(entries), node: context7.node, main: `${CONTEXT7}/${context7.main}` },
  };
}

/** the country-IP data GeoIP blocking reads */
export const geoipPin = (): NpmPackage => pins.geoip;

/** every tarball the optional capabilities may fetch, for a mirror (and the VM tests' registry) to hold */
export function optionalTarballs(): NpmPackage[] {
  const { claude, context7 } = pins;
  return [pins.geoip, ...Object.values(claude), ...context7.tree.map((p) => ({ name: treeId(`${p.path}@${p.version}`).name, version: p.version, integrity: p.integrity }))];
}
