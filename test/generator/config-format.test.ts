import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDiagnostics, loadConfig, type Diagnostic } from '../../generator/config';

const yaml = `hostname: dev1
timezone: Europe/Paris
admin:
  name: fx
  ssh_keys: [./missing.pub]
ssh:
  port: 70000
firewall:
  allow: [443/tcp, 443/tcp]
`;

test('plain mode, Butane style: path, place, line and caret; --ssh-key problems name the flag', async () => {
  const { diagnostics, source } = await loadConfig({
    file: '/srv/firstboot.yaml',
    text: yaml,
    sshKeys: ['/nonexistent/id.pub'],
  });
  const shown = formatDiagnostics(diagnostics, { ...source, name: 'firstboot.yaml' }, { color: false });
  assert.fixture(
    shown,
    `error[$.admin.ssh_keys[0]]: cannot read key file ./missing.pub (/srv/missing.pub): there is no such file; to \
make a key pair: ssh-keygen -t ed25519 (then name the .pub file)
  --> firstboot.yaml:5:14
   |
 5 |   ssh_keys: [./missing.pub]
   |              ^^^^^^^^^^^^^

error[$.ssh.port]: must be an integer from 1 to 65535, got 70000
  --> firstboot.yaml:7:9
   |
 7 |   port: 70000
   |         ^^^^^

error[$.firewall.allow[1]]: repeats $.firewall.allow[0]: remove one of them
  --> firstboot.yaml:9:20
   |
 9 |   allow: [443/tcp, 443/tcp]
   |                    ^^^^^^^

error[--ssh-key]: cannot read key file /nonexistent/id.pub: there is no such file; to make a key pair: ssh-keygen -t \
ed25519 (then name the .pub file)
  --> --ssh-key /nonexistent/id.pub`,
  );
});

test('line numbers of two digits widen the gutter', () => {
  const text = `${'#\n'.repeat(11)}ssh: { port: 0 }\n`;
  const d: Diagnostic = {
    severity: 'error',
    path: '$.ssh.port',
    message: 'must be an integer from 1 to 65535, got 0',
    span: { line: 12, column: 14, length: 1 },
  };
  assert.fixture(
    formatDiagnostics([d], { name: 'f.yaml', text }, { color: false }),
    `error[$.ssh.port]: must be an integer from 1 to 65535, got 0
   --> f.yaml:12:14
    |
 12 | ssh: { port: 0 }
    |              ^`,
  );
});

test('without a file, a diagnostic is its header alone', () => {
  const d: Diagnostic = { severity: 'error', path: '$.admin.ssh_keys', message: 'at least one key' };
  assert.is(
    formatDiagnostics([d], { name: '(built-in defaults)', text: '' }, { color: false }),
    'error[$.admin.ssh_keys]: at least one key',
  );
});

test('colour only when asked', () => {
  const d: Diagnostic = { severity: 'error', path: '$.x', message: 'm', span: { line: 1, column: 1, length: 1 } };
  const source = { name: 'f.yaml', text: 'x: 1\n' };
  assert.not.match(formatDiagnostics([d], source, { color: false }), '\x1b[');
  const coloured = formatDiagnostics([d], source, { color: true });
  assert.match(coloured, '\x1b[1;31merror[$.x]\x1b[0m');
  assert.is(coloured.replace(/\x1b\[[\d;]*m/g, ''), formatDiagnostics([d], source, { color: false }));
});

test('a syntax error points at the mark js-yaml gives', async () => {
  const { diagnostics, source } = await loadConfig({ text: 'ssh:\n  port: 22\n  port: 23\n' });
  assert.fixture(
    formatDiagnostics(diagnostics, source, { color: false }),
    `error[$]: invalid yaml: duplicated mapping key
  --> firstboot.yaml:3:3
   |
 3 |   port: 23
   |   ^`,
  );
});

test.run();
