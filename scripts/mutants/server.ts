// Mutants in the rest of the server's side: the runner, its libraries, the unpacker.
import type { Mutant } from './mutant';

export const SERVER_MUTANTS: Mutant[] = [
  {
    kind: 'retry',
    what: 'the run waits for the pieces fetch before the steps the user-data carries',
    file: 'payload/runner.ts',
    from: 'const fetched = registry.has(params.id) || !fetching ?',
    to: 'const fetched = !fetching ?',
  },
  {
    kind: 'lockout',
    what: 'the firewall runs beside the ssh step, which may be moving the port',
    file: 'payload/steps/firewall.ts',
    from: "notBefore: ['ssh', 'metadata'],",
    to: "notBefore: ['metadata'],",
  },
  {
    kind: 'lockout',
    what: 'the port probe over loopback, which ufw always lets through',
    file: 'payload/lib/probe.ts',
    from: "keyscan($, port, HOST, ['ip', 'netns', 'exec', NS])",
    to: "keyscan($, port, '127.0.0.1')",
  },
  {
    kind: 'secret',
    what: 'the plan unpacked world-readable',
    file: 'cloud-init/unpack.js',
    from: 'fs.writeFileSync(file + ".new", content, { mode: 0o600 });',
    to: 'fs.writeFileSync(file + ".new", content, { mode: 0o644 });',
  },
  {
    kind: 'secret',
    what: 'an npm tarball used without its sha512 checked',
    file: 'payload/lib/npm.ts',
    from: 'if (got !== pkg.integrity) {',
    to: 'if (got !== pkg.integrity && false) {',
  },
  {
    kind: 'retry',
    what: 'an npm download given up at the first 404',
    file: 'payload/lib/npm.ts',
    from: 'status === 404 || ',
    to: '',
  },
  {
    kind: 'policy',
    what: 'a dependency tree is unpacked although its tarballs are not the pinned ones',
    file: 'payload/lib/npm-tree.ts',
    from: 'if (treeDigest(entries) !== tree.digest) {',
    to: 'if (false) {',
  },
  {
    kind: 'policy',
    what: 'a dependency tree path may climb out of node_modules',
    file: 'payload/lib/npm-tree.ts',
    from: "if (!path.split('/node_modules/').every((n) => NAME.test(n)) || !VERSION.test(version))",
    to: 'if (!VERSION.test(version))',
  },
  {
    kind: 'lockout',
    what: "sshd's journal entries without _UID=0: a user running sshd's own binary forges them",
    file: 'payload/lib/journal.ts',
    from: "['_SYSTEMD_UNIT=ssh.service', '_UID=0', ...SSHD_EXE]",
    to: "['_SYSTEMD_UNIT=ssh.service', ...SSHD_EXE]",
  },
  {
    kind: 'policy',
    what: 'the report reads -t sshd again: forged logins counted',
    file: 'payload/daily-report.ts',
    from: '-o cat ${journalArgs(SSHD_JOURNAL)}',
    to: '-o cat -t sshd -t sshd-session',
  },
  {
    kind: 'policy',
    what:
      "the report reads sudo from the journal's _EXE=/usr/bin/sudo again, which a bind mount in a user " +
      'namespace forges (sudo audit)',
    file: 'payload/daily-report.ts',
    from: '`${SUDO_AUDIT(ausearchTime(since))}`',
    to: '`journalctl --since -24h -q -o cat _EXE=/usr/bin/sudo`',
  },
  {
    kind: 'policy',
    what: 'without the audit step the report asks ausearch anyway, as if none meant no sudo (sudo audit)',
    file: 'payload/daily-report.ts',
    from: "if (!plan.steps.some((s) => s.id === 'audit')) {",
    to: 'if (false) {',
  },
  {
    kind: 'policy',
    what:
      'ausearch without --input-logs, which under the timer reads its empty stdin: never a sudo command ' +
      '(sudo audit)',
    file: 'payload/daily-report.ts',
    from: "  'ausearch',\n  '--input-logs',\n",
    to: "  'ausearch',\n",
  },
  {
    kind: 'policy',
    what:
      'aureport without --input-logs, which under the timer reads its empty stdin: never an audit event ' +
      '(sudo audit)',
    file: 'payload/daily-report.ts',
    from: 'aureport --input-logs --key',
    to: 'aureport --key',
  },
  {
    kind: 'policy',
    what: 'the report counts a refused sudo as a command run (sudo audit)',
    file: 'payload/daily-report.ts',
    from: '`${records.length - refused} commands${refused ?',
    to: '`${records.length} commands${refused ?',
  },
  {
    kind: 'policy',
    what: "needrestart may restart firstboot.service during the payload's own apt runs",
    file: 'payload/lib/apt.ts',
    from: "'NEEDRESTART_SUSPEND=1', ",
    to: '',
  },
  {
    kind: 'lockout',
    what: 'a login file written over public SSH counts as the tailnet login (tailnet login)',
    file: 'payload/lib/probe.ts',
    from: 'return !!server && (await tailnetAddresses($)).includes(server);',
    to: 'return !!server;',
  },
  {
    kind: 'policy',
    what: 'a download past its cap is written on (a bad mirror fills the disk before the digest is checked)',
    file: 'payload/lib/npm.ts',
    from: 'if (kept + received + chunk.length > maxBytes)\n          throw',
    to: 'if (false)\n          throw',
  },
  {
    kind: 'policy',
    what: 'a final download error leaves its part file behind',
    file: 'payload/lib/npm.ts',
    from: '      await rm(part, { force: true });\n      throw err;',
    to: '      throw err;',
  },
  {
    kind: 'secret',
    what: 'fetched pieces written without their digest checked',
    file: 'payload/pieces.ts',
    from: 'if (digest !== plan.pieces.digest) {',
    to: 'if (false) {',
  },
  {
    kind: 'retry',
    what: 'a step whose code was not fetched fails instead of waiting for it',
    file: 'payload/runner.ts',
    from: "unfetched\n    ? { result: 'waiting'",
    to: "false\n    ? { result: 'waiting'",
  },
  {
    kind: 'retry',
    what: 'prepare wipes the pieces fetched for the same build',
    file: 'cloud-init/unpack.js',
    from: 'if (!fs.existsSync(build) || fs.readFileSync(build, "utf8") !== header.build) fs.rmSync',
    to: 'if (false) fs.rmSync',
  },
  {
    kind: 'policy',
    what: "the runner gives every step the CPU alike: the way in waits behind the other steps' commands",
    file: 'payload/runner.ts',
    from: '$: WAY_IN.includes(params.id) ? machine.$ : machine.$({ prefix: NICE }),',
    to: '$: machine.$,',
  },
];
