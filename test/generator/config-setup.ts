// What the config tests share: the demo key, a refused config's expected diagnostics, and their check.
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../../generator/config';

export const root = new URL('../../', import.meta.url).pathname;
export const demoKeyFile = join(root, 'examples/demo_ed25519.pub');
export const demoKey = readFileSync(demoKeyFile, 'utf8').trim();

export interface Expected {
  path: string;
  /** undefined: the diagnostic has no place in the file */
  line: number | undefined;
  column?: number;
  message: RegExp;
}
export interface Case {
  name: string;
  yaml: string;
  expected: Expected[];
  /** --ssh-key values; the demo key unless given */
  sshKeys?: string[];
  /** the image the CLI says the server runs */
  image?: string;
}

export function check(diagnostics: Diagnostic[], expected: Expected[]) {
  const shown = JSON.stringify(
    diagnostics.map((d) => [d.path, d.span?.line, d.span?.column, d.message]),
    null,
    1,
  );
  assert.is(diagnostics.length, expected.length, `diagnostics: ${shown}`);
  expected.forEach((want, i) => {
    const got = diagnostics[i];
    assert.is(got.path, want.path, shown);
    assert.is(got.span?.line, want.line, shown);
    if (want.column !== undefined) assert.is(got.span?.column, want.column, shown);
    assert.match(got.message, want.message, shown);
  });
}
