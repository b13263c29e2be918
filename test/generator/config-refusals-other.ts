// Configs loadConfig refuses, part 3: fail2ban, upgrades, packages, YAML itself, several errors at once.
import { demoKey, type Case } from './config-setup';

export const otherCases: Case[] = [
  // fail2ban, upgrades, packages
  {
    name: 'a duration with no unit',
    yaml: 'fail2ban:\n  bantime: 3600\n',
    expected: [{ path: '$.fail2ban.bantime', line: 2, message: /must be a duration.*got 3600/ }],
  },
  {
    name: 'a duration with a bad unit',
    yaml: 'fail2ban: { findtime: 10y }\n',
    expected: [{ path: '$.fail2ban.findtime', line: 1, column: 23, message: /must be a duration.*got "10y"/ }],
  },
  {
    name: 'a zero duration',
    yaml: 'fail2ban: { bantime: 0m }\n',
    expected: [{ path: '$.fail2ban.bantime', line: 1, message: /longer than zero/ }],
  },
  {
    name: 'maxretry out of range',
    yaml: 'fail2ban:\n  maxretry: 101\n',
    expected: [{ path: '$.fail2ban.maxretry', line: 2, message: /from 1 to 100, got 101/ }],
  },
  {
    name: 'a reboot time past midnight',
    yaml: 'upgrades:\n  reboot: "24:00"\n',
    expected: [{ path: '$.upgrades.reboot', line: 2, column: 11, message: /"HH:MM" from 00:00 to 23:59.*got "24:00"/ }],
  },
  {
    name: 'a reboot time without a leading zero',
    yaml: 'upgrades:\n  reboot: 4:00\n',
    expected: [{ path: '$.upgrades.reboot', line: 2, message: /got "4:00"/ }],
  },
  {
    name: 'reboot: true',
    yaml: 'upgrades:\n  reboot: true\n',
    expected: [{ path: '$.upgrades.reboot', line: 2, message: /or false, got true/ }],
  },
  {
    name: 'an uppercase package',
    yaml: 'packages: [htop, Vim]\n',
    expected: [{ path: '$.packages[1]', line: 1, column: 18, message: /Debian package name.*got "Vim"/ }],
  },
  {
    name: 'packages as one string',
    yaml: 'packages: htop vim\n',
    expected: [{ path: '$.packages', line: 1, message: /must be a list.*got string "htop vim"/ }],
  },
  // yaml itself
  {
    name: 'bad indentation',
    yaml: 'ssh:\n  port: 22\n port: 23\n',
    expected: [{ path: '$', line: 3, message: /^invalid yaml: / }],
  },
  {
    name: 'a key given twice',
    yaml: 'ssh:\n  port: 22\n  port: 23\n',
    expected: [{ path: '$', line: 3, message: /invalid yaml: duplicated mapping key/ }],
  },
  {
    name: 'a tab for indentation',
    yaml: 'ssh:\n\tport: 22\n',
    expected: [{ path: '$', line: 2, message: /invalid yaml/ }],
  },
  {
    name: 'an unclosed flow list',
    yaml: 'packages: [htop\n',
    expected: [{ path: '$', line: 2, message: /invalid yaml/ }],
  },
  // several at once, in file order
  {
    name: 'several errors in one file',
    yaml: [
      '# my server',
      'hostname: Dev1',
      'admin:',
      '  name: root',
      '  ssh_keys:',
      `    - ${demoKey}`,
      '    - "ssh-ed25519 AAAA"',
      'ssh:',
      '  port: 70000',
      'firewall:',
      '  allow: [443/tcp, 443/tcp]',
      'mosh: { enable: true }',
      '',
    ].join('\n'),
    expected: [
      { path: '$.hostname', line: 2, column: 11, message: /lowercase/ },
      { path: '$.admin.name', line: 4, column: 9, message: /cannot be root/ },
      { path: '$.admin.ssh_keys[1]', line: 7, column: 7, message: /ends too early/ },
      { path: '$.ssh.port', line: 9, column: 9, message: /65535, got 70000/ },
      { path: '$.firewall.allow[1]', line: 11, column: 20, message: /repeats \$\.firewall\.allow\[0\]/ },
      { path: '$.mosh.enable', line: 12, column: 9, message: /did you mean "enabled"/ },
    ],
  },
];
