// The config reference section of README.md, generated from the schema so each option is documented
// once. `npm run schema` splices it between the markers; a test fails when the README is stale.
import { leaves, type Field } from './dsl';
import { schema } from './schema';

export const START_MARKER = '<!-- config-reference:start -->';
export const END_MARKER = '<!-- config-reference:end -->';

export function referenceMarkdown(): string {
  const out = [
    '## Configuration reference',
    '',
    "_Generated from each capability's section (generator/capabilities/) by `npm run schema`; edit " +
      'those, not this section._',
    '',
    schema.doc,
    'Unknown keys are errors; an empty section (`mosh:`) takes the defaults.',
    '',
  ];
  const top = schema.fields!;
  for (const [name, field] of Object.entries(top)) {
    if (field.kind === 'section') {
      out.push(`### \`${name}\``, '', field.doc, '');
      for (const leaf of leaves(field, name)) out.push(...option(leaf.name, leaf.field));
    } else {
      out.push(`### \`${name}\``, '', ...option(undefined, field));
    }
  }
  return out.join('\n').trimEnd() + '\n';
}

function option(name: string | undefined, field: Field<unknown>): string[] {
  const facts = `(${typeText(field)}; default: ${defaultText(field)})`;
  if (name === undefined) return [`${field.doc}`, '', `Type: ${typeText(field)}. Default: ${defaultText(field)}.`, ''];
  return [`- **\`${name}\`** ${facts}: ${field.doc}`, ''];
}

function typeText(field: Field<unknown>): string {
  if (field.kind === 'list' && field.item) return `a list, each ${field.item.expect}`;
  if (field.kind === 'boolean') return 'true or false';
  return field.expect;
}

function defaultText(field: Field<unknown>): string {
  if (field.defaultText) return field.defaultText;
  if (field.default === undefined) return 'none';
  if (Array.isArray(field.default) && field.default.length === 0) return 'none (`[]`)';
  return `\`${typeof field.default === 'string' ? JSON.stringify(field.default) : JSON.stringify(field.default)}\``;
}

/** README text with the section between the markers replaced; undefined when the markers are missing. */
export function spliceReference(readme: string, section = referenceMarkdown()): string | undefined {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) return undefined;
  return `${readme.slice(0, start + START_MARKER.length)}\n\n${section}\n${readme.slice(end)}`;
}
