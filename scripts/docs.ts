// npm run schema: regenerates what is derived from the schema (generator/config/schema.ts, which puts
// together the capabilities' sections) — firstboot.schema.json and README.md's config reference
// (between its markers; the rest of the README is left alone).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { jsonSchemaText } from '../generator/config/json-schema';
import { END_MARKER, START_MARKER, referenceMarkdown, spliceReference } from '../generator/config/reference';

const root = new URL('..', import.meta.url).pathname;

writeFileSync(`${root}firstboot.schema.json`, jsonSchemaText());
console.log('wrote firstboot.schema.json');

const readmePath = `${root}README.md`;
const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : `${START_MARKER}\n${END_MARKER}\n`;
const updated = spliceReference(readme, referenceMarkdown());
if (updated === undefined) {
  console.error(
    `README.md has no ${START_MARKER} ... ${END_MARKER} markers: add them where the config reference belongs`,
  );
  process.exit(1);
}
writeFileSync(readmePath, updated);
console.log('wrote the config reference in README.md');
