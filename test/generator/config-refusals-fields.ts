// Configs loadConfig refuses, part 1: types and ranges, unknown keys, hostname and time zone, admin.
import { demoKey, type Case } from './config-setup';

export const fieldCases: Case[] = [
  // types and ranges
  {
    name: 'port out of range',
    yaml: 'ssh:\n  port: 70000\n',
    expected: [{ path: '$.ssh.port', line: 2, column: 9, message: /^must be an integer from 1 to 65535, got 70000$/ }],
  },
  {
    name: 'port as a string',
    yaml: 'ssh:\n  port: "22"\n',
    expected: [
      { path: '$.ssh.port', line: 2, column: 9, message: /must be an integer from 1 to 65535, got string "22"/ },
    ],
  },
  {
    name: 'port zero',
    yaml: 'ssh: { port: 0 }\n',
    expected: [{ path: '$.ssh.port', line: 1, column: 14, message: /got 0$/ }],
  },
  {
    name: 'port not whole',
    yaml: 'ssh:\n  port: 22.5\n',
    expected: [{ path: '$.ssh.port', line: 2, message: /must be an integer .* got 22.5/ }],
  },
  {
    name: 'a section that is not a mapping',
    yaml: 'ssh: 22\n',
    expected: [{ path: '$.ssh', line: 1, column: 6, message: /must be a mapping, got 22/ }],
  },
  {
    name: 'a document that is a list',
    yaml: '- a\n- b\n',
    expected: [{ path: '$', line: 1, message: /must be a mapping, got a list/ }],
  },
  {
    name: 'a boolean as a string',
    yaml: 'audit:\n  enabled: "yes"\n',
    expected: [{ path: '$.audit.enabled', line: 2, column: 12, message: /must be true or false, got string "yes"/ }],
  },
  // unknown keys
  {
    name: 'a misspelt top-level key',
    yaml: 'hostnme: dev1\n',
    expected: [{ path: '$.hostnme', line: 1, column: 1, message: /unknown key "hostnme"; did you mean "hostname"\?/ }],
  },
  {
    name: 'an unknown key with nothing close',
    yaml: 'colour: red\n',
    expected: [{ path: '$.colour', line: 1, message: /unknown key "colour"; allowed keys: hostname, timezone, admin/ }],
  },
  {
    name: 'a misspelt nested key',
    yaml: 'ssh:\n  prot: 22\n',
    expected: [{ path: '$.ssh.prot', line: 2, column: 3, message: /did you mean "port"/ }],
  },
  {
    name: 'a key from another section',
    yaml: 'fail2ban:\n  ports: "1:2"\n',
    expected: [{ path: '$.fail2ban.ports', line: 2, message: /unknown key "ports"/ }],
  },
  // hostname and time zone
  {
    name: 'an uppercase hostname',
    yaml: 'hostname: Dev1\n',
    expected: [{ path: '$.hostname', line: 1, column: 11, message: /lowercase here: use "dev1"/ }],
  },
  {
    name: 'an underscore in the hostname',
    yaml: 'hostname: dev_1\n',
    expected: [{ path: '$.hostname', line: 1, message: /must be an RFC 1123 hostname.*got "dev_1"/ }],
  },
  {
    name: 'a hostname label over 63 characters',
    yaml: `hostname: ${'a'.repeat(64)}.example\n`,
    expected: [{ path: '$.hostname', line: 1, message: /1 to 63 characters/ }],
  },
  {
    name: 'a hostname ending in a dash',
    yaml: 'hostname: dev-\n',
    expected: [{ path: '$.hostname', line: 1, message: /RFC 1123/ }],
  },
  {
    name: 'a numeric hostname',
    yaml: 'hostname: 123\n',
    expected: [{ path: '$.hostname', line: 1, message: /got 123$/ }],
  },
  {
    name: 'an unknown time zone',
    yaml: 'timezone: Mars/Olympus\n',
    expected: [{ path: '$.timezone', line: 1, column: 11, message: /unknown time zone "Mars\/Olympus"/ }],
  },
  {
    name: 'a time zone in the wrong case',
    yaml: 'timezone: europe/paris\n',
    expected: [{ path: '$.timezone', line: 1, message: /case-sensitive.*use "Europe\/Paris"/ }],
  },
  {
    name: 'a time zone given as an offset',
    yaml: 'timezone: "+01:00"\n',
    expected: [{ path: '$.timezone', line: 1, message: /unknown time zone/ }],
  },
  // admin
  {
    name: 'root as the admin',
    yaml: 'admin:\n  name: root\n',
    expected: [{ path: '$.admin.name', line: 2, column: 9, message: /cannot be root/ }],
  },
  {
    name: 'a system account as the admin',
    yaml: 'admin:\n  name: sshd\n',
    expected: [{ path: '$.admin.name', line: 2, message: /"sshd" is a system account or group name/ }],
  },
  {
    name: 'a systemd account as the admin',
    yaml: 'admin:\n  name: systemd-network\n',
    expected: [{ path: '$.admin.name', line: 2, message: /system account/ }],
  },
  {
    name: 'a group name as the admin',
    yaml: 'admin:\n  name: sudo\n',
    expected: [{ path: '$.admin.name', line: 2, message: /system account or group/ }],
  },
  {
    name: 'an uppercase user name',
    yaml: 'admin:\n  name: Fx\n',
    expected: [{ path: '$.admin.name', line: 2, message: /must be a user name.*got "Fx"/ }],
  },
  {
    name: 'a user name of 33 characters',
    yaml: `admin:\n  name: ${'a'.repeat(33)}\n`,
    expected: [{ path: '$.admin.name', line: 2, message: /up to 31/ }],
  },
  {
    name: 'a shell not on the list',
    yaml: 'admin:\n  shell: /bin/fish\n',
    expected: [
      {
        path: '$.admin.shell',
        line: 2,
        column: 10,
        message: /must be one of \/bin\/bash, .*\/usr\/bin\/fish, got "\/bin\/fish"/,
      },
    ],
  },
  {
    name: 'ssh_keys as one string',
    yaml: `admin:\n  ssh_keys: "${demoKey}"\n`,
    expected: [{ path: '$.admin.ssh_keys', line: 2, column: 13, message: /must be a list of an ssh public key/ }],
  },
  {
    name: 'a key cut short',
    yaml: `admin:\n  ssh_keys:\n    - ${demoKey}\n    - ${demoKey.slice(0, 40)}\n`,
    expected: [{ path: '$.admin.ssh_keys[1]', line: 4, column: 7, message: /ends too early/ }],
  },
  {
    name: 'a private key pasted',
    yaml:
      'admin:\n  ssh_keys:\n    - |\n      -----BEGIN OPENSSH PRIVATE KEY-----\n      b3BlbnNzaC1rZXktdjEAAAAA\n' +
      '      -----END OPENSSH PRIVATE KEY-----\n',
    expected: [{ path: '$.admin.ssh_keys[0]', line: 3, column: 7, message: /this is a private key/ }],
  },
  {
    name: 'a key file that does not exist',
    yaml: 'admin:\n  ssh_keys: [./missing.pub]\n',
    expected: [
      {
        path: '$.admin.ssh_keys[0]',
        line: 2,
        column: 14,
        message:
          /cannot read key file \.\/missing\.pub \(.*missing\.pub\): there is no such file; to make a key pair: ssh-keygen -t ed25519/,
      },
    ],
  },
  {
    name: 'no key anywhere',
    yaml: 'timezone: Etc/UTC\n',
    sshKeys: [],
    expected: [
      { path: '$.admin.ssh_keys', line: undefined, message: /at least one ssh public key is required.*--ssh-key PATH/ },
    ],
  },
  {
    name: 'no key, with an admin section',
    yaml: 'admin:\n  name: fx\n',
    sshKeys: [],
    expected: [{ path: '$.admin.ssh_keys', line: 1, column: 1, message: /at least one ssh public key/ }],
  },
  {
    name: 'an empty key list',
    yaml: 'admin:\n  ssh_keys: []\n',
    sshKeys: [],
    expected: [{ path: '$.admin.ssh_keys', line: 2, column: 13, message: /at least one ssh public key/ }],
  },
];
