// The generated files must match the schema: run `npm run schema` after changing it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { jsonSchemaText } from '../../generator/config/json-schema';
import { END_MARKER, START_MARKER, referenceMarkdown, spliceReference } from '../../generator/config/reference';

const root = new URL('../../', import.meta.url).pathname;

test('firstboot.schema.json is what the schema generates (npm run schema)', () => {
  assert.fixture(readFileSync(`${root}firstboot.schema.json`, 'utf8'), jsonSchemaText());
});

test("README.md's config reference is what the schema generates (npm run schema)", () => {
  if (!existsSync(`${root}README.md`)) return;
  const readme = readFileSync(`${root}README.md`, 'utf8');
  assert.ok(
    readme.includes(START_MARKER) && readme.includes(END_MARKER),
    'README.md lacks the config-reference markers',
  );
  assert.fixture(readme, spliceReference(readme, referenceMarkdown())!);
});

test('the JSON Schema closes every section and documents every option', () => {
  const walk = (node: Record<string, any>, path: string) => {
    assert.ok(typeof node.description === 'string' && node.description.length > 0, `${path} has no description`);
    if (node.type === 'object') {
      assert.is(node.additionalProperties, false, path);
      for (const [k, v] of Object.entries(node.properties)) walk(v as Record<string, any>, `${path}.${k}`);
    }
  };
  walk(JSON.parse(jsonSchemaText()), '$');
});

test.run();
