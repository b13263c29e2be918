// firstboot.schema.json, for editors (yaml-language-server and others): completion, hover docs and
// checks while typing. Generated from the schema; `npm run schema` writes it, a test keeps it current.
// Draft-07, the newest draft yaml-language-server fully supports.
import { schema } from './schema';

export function jsonSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'firstboot.yaml',
    ...schema.jsonSchema(),
  };
}

/** The file as committed: two-space JSON and a final newline. */
export function jsonSchemaText(): string {
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}
