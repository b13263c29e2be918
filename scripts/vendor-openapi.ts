// `npm run vendor-openapi -- FILE`: the part of Hetzner's API description that firstboot's client and
// the fake API use, copied from FILE, a download of MaximilianKoestler/hcloud-openapi's
// openapi/hcloud.json (commit 5134cbc, MIT licence, a cleaned form of Hetzner's own cloud.spec.json),
// into test/fakes/hcloud-openapi.json, so the tests that check requests against it need nothing outside
// the repository. Run again when that description changes.
import { readFileSync, writeFileSync } from 'node:fs';

const SOURCE = process.argv[2];
if (!SOURCE) throw new Error("usage: npm run vendor-openapi -- FILE (hcloud-openapi's openapi/hcloud.json)");
const TARGET = new URL('../test/fakes/hcloud-openapi.json', import.meta.url);
/** the resources firstboot's client calls, and the hcloud CLI with it */
const RESOURCES = ['actions', 'servers', 'ssh_keys', 'images', 'firewalls', 'server_types', 'locations', 'datacenters'];

type Json = Record<string, any>;
const spec = JSON.parse(readFileSync(SOURCE, 'utf8')) as Json;
const paths = Object.fromEntries(
  Object.entries(spec.paths as Json).filter(([path]) => RESOURCES.includes(path.split('/')[1])),
);

// every component schema those paths reach, following $ref
const schemas: Json = {};
const visit = (value: unknown): void => {
  if (Array.isArray(value)) return value.forEach(visit);
  if (!value || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    const name =
      key === '$ref' && typeof inner === 'string' ? inner.match(/^#\/components\/schemas\/(.+)$/)?.[1] : undefined;
    if (name && !schemas[name]) {
      schemas[name] = spec.components.schemas[name];
      visit(schemas[name]);
    } else visit(inner);
  }
};
visit(paths);

const info = {
  ...spec.info,
  'x-source':
    'MaximilianKoestler/hcloud-openapi at commit 5134cbc (openapi/hcloud.json, MIT licence); ' +
    `only the paths under /${RESOURCES.join(', /')} and the schemas they use (scripts/vendor-openapi.ts)`,
};
writeFileSync(TARGET, JSON.stringify({ openapi: spec.openapi, info, paths, components: { schemas } }, null, 1) + '\n');
console.log(`wrote ${TARGET.pathname}: ${Object.keys(paths).length} paths, ${Object.keys(schemas).length} schemas`);
