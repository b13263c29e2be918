// A private key given where a public key belongs: refused as such, and never printed back, whether it
// comes as --ssh-key's value, a file, or a YAML value. Real keys from ssh-keygen; what the CLI prints.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostics, loadConfig, type LoadOptions } from '../../generator/config';
import { needs } from '../needs';

const tmp = mkdtempSync(join(tmpdir(), 'firstboot-private-'));
function keyPair(name: string, ...type: string[]) {
  const file = join(tmp, name);
  execFileSync('ssh-keygen', ['-q', ...type, '-N', '', '-C', 'me', '-f', file]);
  return { file, text: readFileSync(file, 'utf8'), pub: readFileSync(`${file}.pub`, 'utf8').trim() };
}
// made for the first test, not on import, where a missing ssh-keygen would stop the whole run
let openssh: ReturnType<typeof keyPair>;
let pem: ReturnType<typeof keyPair>;
test.before.each(() => {
  needs('ssh-keygen', 'openssh-client');
  openssh ??= keyPair('id_ed25519', '-t', 'ed25519');
  pem ??= keyPair('id_rsa', '-t', 'rsa', '-b', '3072', '-m', 'PEM');
});

async function shown(options: LoadOptions): Promise<string> {
  const { diagnostics, source } = await loadConfig(options);
  assert.ok(diagnostics.length > 0, 'refused');
  return formatDiagnostics(diagnostics, source, { color: false });
}

/** a line of the key's body, or the key JSON-quoted, in what was printed */
function leak(output: string, key: string): string | undefined {
  const body = key.split('\n').filter((line) => line && !line.startsWith('-----'));
  return (
    body.find((line) => output.includes(line.slice(0, 20))) ??
    (output.includes(JSON.stringify(key).slice(40, 80)) ? 'the quoted key' : undefined)
  );
}

test('--ssh-key with a private key as its value: refused as such, named by its place, not echoed', async () => {
  for (const key of [openssh, pem]) {
    const out = await shown({ sshKeys: [openssh.pub, key.text] });
    assert.match(out, /^error\[--ssh-key\]: --ssh-key holds a private key: give the \.pub file/);
    assert.match(out, /\n {2}--> --ssh-key value 2$/);
    assert.is(leak(out, key.text), undefined, out);
  }
});

test('--ssh-key naming a private key file: named by its path', async () => {
  const out = await shown({ sshKeys: [openssh.file] });
  assert.ok(out.includes(`${openssh.file} is a private key: give the public key (${openssh.file}.pub)`), out);
  assert.ok(out.endsWith(`--> --ssh-key ${openssh.file}`), out);
  assert.is(leak(out, openssh.text), undefined, out);
});

test('a private key in the YAML: no excerpt of its lines, no value quoted, wherever it sits', async () => {
  const quoted = JSON.stringify(openssh.text);
  const block = openssh.text
    .trim()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
  const texts = [
    `admin:\n  ssh_keys:\n    - ${quoted}\n`,
    `admin:\n  ssh_keys: [${JSON.stringify(pem.pub)}]\nhostname: ${quoted}\n`,
    `admin:\n  ssh_keys: [${JSON.stringify(pem.pub)}]\ntimezone: |\n${block}\n`,
    `admin:\n  ssh_keys: [${JSON.stringify(pem.pub)}]\nhostname: [${quoted}\n`,
  ];
  for (const text of texts) {
    const out = await shown({ file: 'firstboot.yaml', text });
    assert.match(out, /--> firstboot\.yaml:\d+:\d+/);
    assert.is(leak(out, openssh.text), undefined, out);
  }
});

test.run();
