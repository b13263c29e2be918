import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AUDIT_RULES as rules } from '../../contract/audit-rules';

const syscallRules = rules.filter((rule) => / -S /.test(rule));
const watches = rules.filter((rule) => rule.startsWith('-w '));

test('every rule carries a key, so ausearch -k finds its events', () => {
  for (const rule of rules) assert.match(rule, / -k [a-z-]+$/, rule);
});

test('never locks the rules (-e 2) nor touches the global settings augenrules merges', () => {
  for (const rule of rules) assert.not.match(rule, /^-[eDbf]\b/, rule);
});

test('syscall rules load on x86_64 and aarch64: arch=b64, no syscall aarch64 lacks', () => {
  const x86Only = ['stime', 'create_module', 'query_module', 'open', 'creat', 'rename', 'unlink', 'chmod', 'chown'];
  for (const rule of syscallRules) {
    assert.match(rule, /^-a always,exit -F arch=b64 /, rule);
    const names = rule.match(/-S (\S+)/)?.[1].split(',') ?? [];
    for (const name of names) assert.not.ok(x86Only.includes(name), `${name} in ${rule}`);
  }
});

test('covers what the issue asks for', () => {
  const keyed = (key: string) => rules.filter((rule) => rule.endsWith(` -k ${key}`));
  const watched = (key: string) => keyed(key).map((rule) => rule.split(' ')[1]);
  assert.equal(watched('identity'), [
    '/etc/passwd',
    '/etc/shadow',
    '/etc/group',
    '/etc/gshadow',
    '/etc/security/opasswd',
  ]);
  assert.ok(watched('sudoers').includes('/etc/sudoers.d/'));
  assert.ok(watched('sshd').includes('/etc/ssh/sshd_config.d/'));
  assert.ok(watched('cron').includes('/var/spool/cron/'));
  assert.equal(watched('login-defs'), ['/etc/login.defs']);
  assert.equal(watched('pam'), ['/etc/pam.d/']);
  assert.ok(keyed('time-change').some((rule) => /-S adjtimex,settimeofday,clock_settime /.test(rule)));
  assert.ok(keyed('modules').some((rule) => /-S init_module,finit_module,delete_module /.test(rule)));
});

test('watches are write/attribute watches on config, execute watches on programs', () => {
  for (const rule of watches) {
    const [, path, , perms] = rule.split(' ');
    assert.is(perms, path.startsWith('/usr/bin/') ? 'x' : 'wa', rule);
  }
});

test.run();
