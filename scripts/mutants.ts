// `npm run mutants`: one-line changes that would lock a user out, leak a secret or break a retry, each
// applied to the source in turn, the fast tests run against it, and the file put back. A mutant the
// tests do not catch is a behaviour nothing guards. Not part of npm test: it runs the suite once per
// mutant, stopping at the first failure (--bail), which only a surviving mutant never meets.
// `-- WORD` runs only the mutants whose file or description holds WORD; `-- --shard K/N` every Nth
// from the Kth (one shard per checkout and core); `-- --check` only checks that each finds its text.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

interface Mutant {
  kind: 'lockout' | 'secret' | 'retry' | 'policy';
  what: string;
  file: string;
  from: string;
  to: string;
}

/** Files the tests read only as built (dist/): a mutant in them is built before the tests run. */
const BUILT = new Set(['cloud-init/unpack.js']);
const build = () => spawnSync('npx', ['tsx', 'scripts/build.ts'], { stdio: 'inherit' });

const MUTANTS: Mutant[] = [
  {
    kind: 'policy',
    what: "a path filter rule is known by its key alone: sudo's rule passes for any loaded one",
    file: 'payload/steps/audit.ts',
    from: "        if (field === 'path') path = fieldValue;\n",
    to: '',
  },
  {
    kind: 'retry',
    what: 'the run waits for the pieces fetch before the steps the user-data carries',
    file: 'payload/runner.ts',
    from: '  const later = fetching ?',
    to: '  await fetching;\n  const later = fetching ?',
  },
  {
    kind: 'policy',
    what: 'sysctl lines with a "-" prefix, which compliance scanners do not read as set',
    file: 'payload/steps/sysctl.ts',
    from: '(live.has(key) ? `${key} = ${value}\\n`',
    to: '(live.has(key) ? `-${key} = ${value}\\n`',
  },
  {
    kind: 'policy',
    what: 'a key this kernel lacks written as a setting, which makes sysctl --system fail',
    file: 'payload/steps/sysctl.ts',
    from: '(live.has(key) ? `${key} = ${value}\\n`',
    to: '(true ? `${key} = ${value}\\n`',
  },
  {
    kind: 'lockout',
    what: 'router advertisements ignored though the server takes its IPv6 route from them',
    file: 'payload/steps/sysctl.ts',
    from: "return `${routes.stdout}${addresses.stdout}`.trim() !== '';",
    to: "return `${addresses.stdout}`.trim() !== '';",
  },
  {
    kind: 'policy',
    what: "apply makes folders with sudo's umask 0077, which the admin cannot enter (the toolchain's files)",
    file: 'apply/remote.ts',
    from: "    'umask 022',\n",
    to: '',
  },
  {
    kind: 'policy',
    what: 'the idle-shell timeout reaches shells inside tmux through the exported value',
    file: 'payload/steps/baseline.ts',
    from: '    unset TMOUT 2>/dev/null',
    to: '    :',
  },
  {
    kind: 'policy',
    what: "the admin's start files stay as skel made them (0644)",
    file: 'payload/steps/admin.ts',
    from: 'mask: 0o037 }',
    to: 'mask: 0 }',
  },
  {
    kind: 'lockout',
    what: 'sshd -T without -C: Match blocks for the admin go unseen',
    file: 'payload/steps/ssh.ts',
    from: 'sshd -T -C ${`user=${admin},host=localhost,addr=127.0.0.1`}',
    to: 'sshd -T ${[]}',
  },
  {
    kind: 'lockout',
    what: 'the ssh step reads "PORT/tcp" in ufw status instead of parsing rules',
    file: 'payload/steps/ssh.ts',
    from: 'if (!(await ufwActive($)) || allowsTcp(await addedRules($), port)) return;',
    to: 'if (!(await ufwActive($)) || (await $`ufw status`).stdout.includes(`${port}/tcp`)) return;',
  },
  {
    kind: 'lockout',
    what: "the ssh step trusts ufw limit's exit code, though ufw can skip a rule and answer 0",
    file: 'payload/steps/ssh.ts',
    from: 'if (!allowsTcp(await addedRules($), port))\n    throw',
    to: 'if (false)\n    throw',
  },
  {
    kind: 'lockout',
    what: 'a failed ufw limit leaves the new sshd files for the next boot',
    file: 'payload/steps/ssh.ts',
    from: 'await restore();\n      throw new Error(`kept the old sshd configuration: the firewall',
    to: 'throw new Error(`kept the old sshd configuration: the firewall',
  },
  {
    kind: 'lockout',
    what: "root is shut out although sshd takes none of the admin's keys",
    file: 'payload/steps/ssh.ts',
    from: 'if (!(await acceptsAnAdminKey(ctx, effective)))',
    to: 'if (!(await acceptsAnAdminKey(ctx, effective)) && false)',
  },
  {
    kind: 'lockout',
    what: 'the port probe over loopback, which ufw always lets through',
    file: 'payload/lib/probe.ts',
    from: "keyscan($, port, HOST, ['ip', 'netns', 'exec', NS])",
    to: "keyscan($, port, '127.0.0.1')",
  },
  {
    kind: 'lockout',
    what: 'the firewall enables ufw and drops the old SSH rule although the new one never went in',
    file: 'payload/steps/firewall.ts',
    from: 'if (!onTailnet(sshRule(params)) && !added.some((rule) => key(rule) === key(sshRule(params)))) {',
    to: 'if (false) {',
  },
  {
    kind: 'lockout',
    what: 'the firewall drops public SSH for a tailnet-only plan before the tailnet rules are in',
    file: 'payload/steps/firewall.ts',
    from: 'onTailnet: (rule) => !!rule.tailnet && twins.some((t) => t.port === rule.port && t.proto === rule.proto),',
    to: 'onTailnet: (rule) => !!rule.tailnet,',
  },
  {
    kind: 'lockout',
    what: 'public SSH closes although sshd never answered on the tailnet address',
    file: 'payload/steps/tailscale.ts',
    from: 'if ((await sshAnswersOnTailnet($, Number(ssh.port), 3, tailnetWait.pauseMs)) === undefined) {',
    to: 'if (false) {',
  },
  {
    kind: 'lockout',
    what: 'public SSH closes although ufw holds no SSH rule on tailscale0',
    file: 'payload/steps/tailscale.ts',
    from: 'if (!onTailnet(added, ssh))\n        throw',
    to: 'if (false)\n        throw',
  },
  {
    kind: 'lockout',
    what: 'the ssh step probes a tailnet-only port from the probe namespace, which no rule lets in',
    file: 'payload/steps/ssh.ts',
    from: 'return (viaTailnet ? sshAnswersOnTailnet : sshAnswersFromOutside)',
    to: 'return (false ? sshAnswersOnTailnet : sshAnswersFromOutside)',
  },
  {
    kind: 'lockout',
    what: 'the config takes RSA-2048 admin keys, which sshd refuses',
    file: 'generator/config/ssh-key.ts',
    from: 'export const MIN_RSA_BITS = 3072;',
    to: 'export const MIN_RSA_BITS = 2048;',
  },
  {
    kind: 'secret',
    what: 'a metadata probe that timed out or errored counts as blocked',
    file: 'payload/steps/metadata.ts',
    from: "probe.stdout.trim() !== 'refused'",
    to: "probe.stdout.trim() === 'connected'",
  },
  {
    kind: 'secret',
    what: 'the metadata block shuts root out and lets everyone else in',
    file: 'payload/steps/metadata.ts',
    from: "      'owner',\n      '!',\n",
    to: "      'owner',\n",
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
    kind: 'secret',
    what: "the console password set on chpasswd's command line instead of its stdin",
    file: 'payload/steps/admin.ts',
    from: 'if (value) await $({ input: `${name}:${value}\\n` })`chpasswd`;',
    to: 'if (value) await $`usermod --password ${value} ${name}`;',
  },
  {
    kind: 'secret',
    what: 'a secret sent over SSH written readable by others',
    file: 'apply/remote.ts',
    from: "content: value,\n      mode: '0600',",
    to: "content: value,\n      mode: '0644',",
  },
  {
    kind: 'secret',
    what: 'a secret given as --secret NAME=VALUE taken from the command line',
    file: 'cli/secrets.ts',
    from: '  throw new SecretError(\n    `--secret ${name} takes @FILE or env:VAR',
    to: '  if (source) return source;\n  throw new SecretError(\n    `--secret ${name} takes @FILE or env:VAR',
  },
  {
    kind: 'secret',
    what: "the SMTP password written into msmtp's config",
    file: 'payload/steps/report.ts',
    from: '`passwordeval cat ${SERVER_PATHS.secrets}/${smtp.password}`',
    to: '`password ${smtp.password}`',
  },
  {
    kind: 'lockout',
    what: "apply follows a lost run only where it started, not on the plan's port as the admin",
    file: 'apply/apply.ts',
    from: 'const logins = [first, planned, { user: admin, port: first.port }, { user: first.user, port: sshPort }]',
    to: 'const logins = [first]',
  },
  {
    kind: 'retry',
    what: 'GET no longer retried after 500 and 504',
    file: 'hcloud/transport.ts',
    from: 'const transient = new Set([423, 429, 500, 502, 503, 504]);',
    to: 'const transient = new Set([423, 429, 502, 503]);',
  },
  {
    kind: 'retry',
    what: 'no floor under a RateLimit-Reset wait',
    file: 'hcloud/transport.ts',
    from: 'Math.max(reset * 1000 - nowMs, 1000)',
    to: 'Math.max(reset * 1000 - nowMs, 0)',
  },
  {
    kind: 'retry',
    what: 'a POST sent again after a 500, which may have created a server',
    file: 'hcloud/transport.ts',
    from: 'const notActedOn = new Set([423, 429, 502, 503]);',
    to: 'const notActedOn = new Set([423, 429, 500, 502, 503]);',
  },
  {
    kind: 'retry',
    what: '423 locked not waited out',
    file: 'hcloud/transport.ts',
    from: 'const notActedOn = new Set([423, 429, 502, 503]);',
    to: 'const notActedOn = new Set([429, 502, 503]);',
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
    what: 'MaxAuthTries 3 -> 6',
    file: 'generator/capabilities/ssh.ts',
    from: "['MaxAuthTries', '3']",
    to: "['MaxAuthTries', '6']",
  },
  {
    kind: 'secret',
    what: "the GitHub token goes to gh as an argument, where ps and sudo's log see it",
    file: 'payload/steps/devtools.ts',
    from: "['gh', 'auth', 'login', '--hostname', 'github.com', '--with-token'], token)",
    to: "['gh', 'auth', 'login', '--hostname', 'github.com', '--with-token', token!])",
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
    what: "a mirror's tarball list taken though it is not the tree the devtools step pins",
    file: 'generator/npm-pins.ts',
    from: "if (entries.map((e) => e.id).join('\\n') !== tree.packages.join('\\n') || treeDigest(entries) !== tree.digest) {",
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
    kind: 'secret',
    what: 'the Tailscale auth key goes to tailscale up as an argument',
    file: 'payload/steps/tailscale.ts',
    from: '--auth-key=file:${SERVER_PATHS.secrets}/${p.authKey}',
    to: '--auth-key=${await ctx.secret(p.authKey)}',
  },
  {
    kind: 'policy',
    what: 'a Tailscale repository key that is not the pinned one is trusted',
    file: 'payload/steps/tailscale.ts',
    from: 'if (found.length !== 1 || found[0] !== p.key)\n        throw',
    to: 'if (false)\n        throw',
  },
  {
    kind: 'policy',
    what: "the Tailscale sources list is kept before its repository passed apt's signature check",
    file: 'payload/steps/tailscale.ts',
    from: 'await writeSpec(fs, { ...list, path: CANDIDATE });',
    to: 'await writeSpec(fs, list);',
  },
  {
    kind: 'policy',
    what: 'Claude Code updates itself past its pin',
    file: 'payload/steps/devtools.ts',
    from: '`DISABLE_AUTOUPDATER=1 exec ${DEVTOOLS}',
    to: '`exec ${DEVTOOLS}',
  },
  {
    kind: 'lockout',
    what: "the sshd jail matches _COMM again: a local user's forged line bans the admin",
    file: 'payload/steps/fail2ban.ts',
    from: 'journalmatch = ${journalMatch(SSHD_JOURNAL)}',
    to: 'journalmatch = _SYSTEMD_UNIT=ssh.service + _COMM=sshd + _COMM=sshd-session',
  },
  {
    kind: 'lockout',
    what: "sshd's journal entries without _UID=0: a user running sshd's own binary forges them",
    file: 'payload/lib/journal.ts',
    from: "['_SYSTEMD_UNIT=ssh.service', '_UID=0', ...SSHD_EXE]",
    to: "['_SYSTEMD_UNIT=ssh.service', ...SSHD_EXE]",
  },
  {
    kind: 'lockout',
    what: "the fail2ban step's verify takes any journal match",
    file: 'payload/steps/fail2ban.ts',
    from: 'if (matches !== journalMatch(SSHD_JOURNAL))',
    to: 'if (!matches)',
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
    what: "the report reads sudo from the journal's _EXE=/usr/bin/sudo again, which a bind mount in a user namespace forges (sudo audit)",
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
    what: 'ausearch without --input-logs, which under the timer reads its empty stdin: never a sudo command (sudo audit)',
    file: 'payload/daily-report.ts',
    from: "  'ausearch',\n  '--input-logs',\n",
    to: "  'ausearch',\n",
  },
  {
    kind: 'policy',
    what: 'aureport without --input-logs, which under the timer reads its empty stdin: never an audit event (sudo audit)',
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
    kind: 'lockout',
    what: 'the edge firewall closes 22 though the wait answered only on 22',
    file: 'hcloud/create.ts',
    from: 'if (status.ok && waited.port === sshPort) {',
    to: 'if (status.ok) {',
  },
  {
    kind: 'policy',
    what: "create's undo deletes an SSH key it did not upload",
    file: 'hcloud/create.ts',
    from: 'for (const key of keys.uploaded) undo.push',
    to: 'for (const key of keys.keys) undo.push',
  },
  {
    kind: 'policy',
    what: 'the upgrades step adds no security source though apt sees no security release',
    file: 'payload/steps/upgrades.ts',
    from: 'if ((await securityDrift(ctx)).length) await addSecuritySource(ctx);',
    to: '',
  },
  {
    kind: 'policy',
    what: 'any release of the distribution passes for its security archive',
    file: 'payload/steps/upgrades.ts',
    from: 'patterns.some((terms) => terms.every(',
    to: 'patterns.some((terms) => terms.some(',
  },
  {
    kind: 'policy',
    what: "the upgrades step's verify passes though apt sees no security release",
    file: 'payload/steps/upgrades.ts',
    from: 'if (!(await seesSecurity($, codename)))\n      problems.push(',
    to: 'if (false)\n      problems.push(',
  },
  {
    kind: 'policy',
    what: 'a second security source written though one is configured',
    file: 'payload/steps/upgrades.ts',
    from: 'if (!sources.some((s) => s.suite === `${codename}-security`)) {',
    to: 'if (true) {',
  },
  {
    kind: 'policy',
    what: 'a security source apt cannot fetch is kept, and fails every later apt-get update',
    file: 'payload/steps/upgrades.ts',
    from: '    await fs.remove(SECURITY_SOURCES);\n',
    to: '',
  },
  {
    kind: 'policy',
    what: 'the module block list goes back to /bin/false, which Lynis NETW-3200 does not recognise',
    file: 'payload/steps/baseline.ts',
    from: '`install ${m} /bin/true\\nblacklist',
    to: '`install ${m} /bin/false\\nblacklist',
  },
  {
    kind: 'policy',
    what: "needrestart may restart firstboot.service during the payload's own apt runs",
    file: 'payload/lib/apt.ts',
    from: "'NEEDRESTART_SUSPEND=1', ",
    to: '',
  },
  {
    kind: 'policy',
    what: 'pam_tmpdir removed from common-session is not put back',
    file: 'payload/steps/pam.ts',
    from: "    profile: 'tmpdir',\n    module: 'pam_tmpdir'",
    to: "    profile: 'tmpdir',\n    module: 'pam_unix'",
  },
  {
    kind: 'policy',
    what: "the admin's home stays readable by everyone",
    file: 'payload/steps/admin.ts',
    from: '{ paths: [acct.home], mask: 0o027 }',
    to: '{ paths: [acct.home], mask: 0o020 }',
  },
  {
    kind: 'lockout',
    what: 'the geoip guard counts a connection that never logged in (a scanner holding the SSH port open keeps the table out)',
    file: 'payload/steps/geoip.ts',
    from: 'const user = /^sshd(?:-session)?: ([^\\s@]+)@\\S+$/.exec(title)?.[1];',
    to: 'const user = /^sshd(?:-session)?: ([^\\s@]+)/.exec(title)?.[1];',
  },
  {
    kind: 'lockout',
    what: 'the geoip guard counts loopback peers (a local nc 127.0.0.1 22 keeps the table out)',
    file: 'payload/steps/geoip.ts',
    from: 'return !!a && !isLoopback(a);',
    to: 'return !!a;',
  },
  {
    kind: 'lockout',
    what: 'the geoip guard ignores mosh sessions, which the table would cut off',
    file: 'payload/steps/geoip.ts',
    from: '...(await moshSessions(ctx)).map(',
    to: '...([] as string[]).map(',
  },
  {
    kind: 'lockout',
    what: "the geoip guard counts a datagram mosh-server never answered (a scanner's probe) as a mosh session",
    file: 'payload/steps/geoip.ts',
    from: "flow && !line.includes('[UNREPLIED]') && ports.has",
    to: 'flow && ports.has',
  },
  {
    kind: 'lockout',
    what: "geoip loads the table with no owner's address known, which can cut off whoever made the server",
    file: 'payload/steps/geoip.ts',
    from: 'return session && { address: session.address, adopted: true };',
    to: "return session ? { address: session.address, adopted: true } : { address: '0.0.0.0', adopted: false };",
  },
  {
    kind: 'lockout',
    what: "geoip adopts any user's SSH session as the owner's address, not only the admin's",
    file: 'payload/steps/geoip.ts',
    from: '(await sshSessions(ctx)).find((s) => s.user === admin);',
    to: '(await sshSessions(ctx)).find(() => !!admin);',
  },
  {
    kind: 'lockout',
    what: "geoip leaves the owner's address out of the allowed set when its country is not listed",
    file: 'payload/steps/geoip.ts',
    from: 'PROBE_CLIENT, ownerElement(owner.address), ',
    to: 'PROBE_CLIENT, ',
  },
  {
    kind: 'lockout',
    what: "geoip keeps a table made for an earlier owner's address when apply comes from a new one",
    file: 'payload/steps/geoip.ts',
    from: 'plan ${planDigest(p)}, owner ${ownerElement(owner)}',
    to: 'plan ${planDigest(p)}',
  },
  {
    kind: 'lockout',
    what: "create --wait does not run again when geoip waits for the owner's address and no secret is sent",
    file: 'hcloud/create.ts',
    from: "(st.id === 'geoip' || st.error?.includes(PIECES_PENDING))",
    to: '(st.error?.includes(PIECES_PENDING))',
  },
  {
    kind: 'policy',
    what: "a tailnet name the server reports lands in the owner's files unchecked (reported strings)",
    file: 'apply/apply.ts',
    from: 'const tailnet = read.state.tailnet ? tailnetName(read.state.tailnet) : undefined;',
    to: 'const tailnet = read.state.tailnet || undefined;',
  },
  {
    kind: 'policy',
    what: 'a tailnet name with a comma or a wildcard passes as a DNS name (reported strings)',
    file: 'hcloud/reported.ts',
    from: '/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/',
    to: '/^[^. ]+$/',
  },
  {
    kind: 'policy',
    what: 'a host key the server reports lands in known_hosts in any form (reported strings)',
    file: 'apply/apply.ts',
    from: "const key = reportedHostKey(reported, ['ssh-ed25519']);",
    to: 'const key = reported;',
  },
  {
    kind: 'policy',
    what: 'a host key blob of another type than it says passes (reported strings)',
    file: 'hcloud/reported.ts',
    from: 'if (!types.includes(type) || !named ||',
    to: 'if (!types.includes(type) ||',
  },
  {
    kind: 'lockout',
    what: 'tailnet-only SSH is taken without a console password (reported strings and config)',
    file: 'generator/config/rules.ts',
    from: 'else if (t.ssh_via_tailnet_only && !config.admin.password &&',
    to: 'else if (false &&',
  },
  {
    kind: 'lockout',
    what: "the tailscale step closes public SSH without the owner's login through the tailnet (tailnet login)",
    file: 'payload/steps/tailscale.ts',
    from: 'if (await tailnetLoginProven($, fs)) {',
    to: 'if (true) {',
  },
  {
    kind: 'lockout',
    what: 'a login file written over public SSH counts as the tailnet login (tailnet login)',
    file: 'payload/lib/probe.ts',
    from: 'return !!server && (await tailnetAddresses($)).includes(server);',
    to: 'return !!server;',
  },
  {
    kind: 'lockout',
    what: "the firewall drops public SSH once tailscale0 has rules, before the owner's login through the tailnet (tailnet login)",
    file: 'payload/steps/firewall.ts',
    from: 'const twins = (await tailnetLoginProven($, fs)) ? tailnetRules(all) : [];',
    to: 'const twins = tailnetRules(all);',
  },
  {
    kind: 'lockout',
    what: "the firewall closes public SSH itself once the tailnet login is proven, without the tailscale step's proof of sshd there (tailnet login)",
    file: 'payload/steps/firewall.ts',
    from: 'const old = obsolete(added, wantedRules(params, listening));\n    if (mayRemove(params, listening, log, old)) {',
    to: 'const old = obsolete(added, wanted);\n    if (mayRemove(params, listening, log, old)) {',
  },
  {
    kind: 'lockout',
    what: "the tailscale step takes the old port's tailnet rule for the new one (tailnet login)",
    file: 'payload/steps/tailscale.ts',
    from: 'r.iface === TAILNET_INTERFACE &&\n      r.port === rule.port &&\n',
    to: 'r.iface === TAILNET_INTERFACE &&\n',
  },
  {
    kind: 'lockout',
    what: 'apply says SSH goes through the tailnet though its login there failed (tailnet login)',
    file: 'apply/apply.ts',
    from: "tailnet && status.steps.some((s) => s.id === 'tailscale' && (s.result === 'ok' || s.result === 'changed'));",
    to: 'tailnet;',
  },
  {
    kind: 'lockout',
    what: 'the tailnet login does not pass its SSH_CONNECTION past sudo (tailnet login)',
    file: 'apply/apply.ts',
    from: "asRoot(via.user, tailnetLoginScript, [], 'connection')",
    to: 'asRoot(via.user, tailnetLoginScript)',
  },
  {
    kind: 'secret',
    what: 'a private key given as --ssh-key is printed back as where the problem came from',
    file: 'generator/config/load.ts',
    from: 'asPath ? `--ssh-key ${entry}` : `--ssh-key value ${i + 1}`',
    to: '`--ssh-key ${entry}`',
  },
  {
    kind: 'secret',
    what: 'a diagnostic quotes a private key pasted as a config value',
    file: 'generator/config/diagnostics.ts',
    from: "paint('bold', `: ${hidePrivateKeys(d.message)}`)",
    to: "paint('bold', `: ${d.message}`)",
  },
  {
    kind: 'secret',
    what: 'the excerpt under a diagnostic shows a line of a private key',
    file: 'generator/config/diagnostics.ts',
    from: 'if (secret.has(span.line)) {',
    to: 'if (false) {',
  },
  {
    kind: 'lockout',
    what: 'the login through the tailnet name goes to the public address instead (tailnet login, another name)',
    file: 'apply/ssh.ts',
    from: 'login.host ?? target.name,\n        command,',
    to: 'target.name,\n        command,',
  },
  {
    kind: 'policy',
    what: 'inspect takes a base85 block shorter than its first line announces',
    file: 'generator/base85.ts',
    from: 'if (text.length < want)\n    throw',
    to: 'if (false)\n    throw',
  },
  {
    kind: 'policy',
    what: "inspect decodes five base85 characters past four bytes into Node's range error",
    file: 'generator/base85.ts',
    from: 'if (value > 0xffffffff)\n      throw',
    to: 'if (false)\n      throw',
  },
  {
    kind: 'policy',
    what: 'inspect calls a payload block that a cut file ends inside damaged',
    file: 'generator/inspect.ts',
    from: '    if (!complete) {',
    to: '    if (false) {',
  },
  {
    kind: 'policy',
    what: 'inspect reads a file cut off after its payload block as whole',
    file: 'generator/inspect.ts',
    from: "if (!complete) throw cutOff('before the runcmd",
    to: "if (false) throw cutOff('before the runcmd",
  },
  {
    kind: 'policy',
    what: 'inspect calls YAML that a cut ended inside invalid, not cut off',
    file: 'generator/inspect.ts',
    from: 'if (mark && mark.position >= text.trimEnd().length)',
    to: 'if (false)',
  },
  {
    kind: 'policy',
    what: 'inspect reads a pack whose lengths do not add up',
    file: 'generator/pack.ts',
    from: 'if (end + 1 + total !== text.length)\n    throw',
    to: 'if (false)\n    throw',
  },
  {
    kind: 'lockout',
    what: "apply's upload takes a file the connection cut short",
    file: 'apply/remote.ts',
    from: '[ "$n" -eq "$1" ] || refuse',
    to: 'true || refuse',
  },
  {
    kind: 'lockout',
    what: "apply's upload takes a file whose bytes arrived altered",
    file: 'apply/remote.ts',
    from: '[ "${s%% *}" = "$4" ] || refuse',
    to: 'true || refuse',
  },
  {
    kind: 'lockout',
    what: "apply's upload does not look for the mark after its last file",
    file: 'apply/remote.ts',
    from: '= "${END}" ] || refuse',
    to: '= "${END}" ] || true',
  },
  {
    kind: 'secret',
    what: "the payload sets a console password that breaks the config's rules",
    file: 'payload/steps/admin.ts',
    from: 'return problem ? { problem: `${problem}; not set` } : { value };',
    to: 'return { value };',
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
    what: 'a --secret without "=" (likely the value itself) is echoed in the unknown-name message',
    file: 'cli/secrets.ts',
    from: 'if (source === undefined && !known.includes(name))\n      throw',
    to: 'if (false)\n      throw',
  },
  {
    kind: 'secret',
    what: 'fetched pieces written without their digest checked',
    file: 'payload/pieces.ts',
    from: 'if (digest !== plan.pieces.digest) {',
    to: 'if (false) {',
  },
  {
    kind: 'secret',
    what: '--pieces-from takes plain http to any host',
    file: 'cli/command.ts',
    from: "(url.protocol === 'http:' && PRIVATE_HOST.test(url.hostname))",
    to: "url.protocol === 'http:'",
  },
  {
    kind: 'policy',
    what: 'a source named, and still every piece in the user-data',
    file: 'generator/pack.ts',
    from: 'ids.filter((id) => !plan.pieces || ALWAYS_INSIDE.has(id))',
    to: 'ids.filter(() => true)',
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
    what: 'apply sends only what the user-data carried, leaving the fetched steps waiting',
    file: 'apply/apply.ts',
    from: 'files: serverFiles(carryingAll(o.plan), o.payload)',
    to: 'files: serverFiles(o.plan, o.payload)',
  },
  {
    kind: 'retry',
    what: 'create --wait leaves steps waiting for pieces as they are',
    file: 'hcloud/create.ts',
    from: ' || st.error?.includes(PIECES_PENDING)',
    to: '',
  },
  {
    kind: 'retry',
    what: 'prepare wipes the pieces fetched for the same build',
    file: 'cloud-init/unpack.js',
    from: 'if (!fs.existsSync(build) || fs.readFileSync(build, "utf8") !== header.build) fs.rmSync',
    to: 'if (false) fs.rmSync',
  },
];

function fastTests(): { caught: boolean; by: string } {
  const run = spawnSync('npx', ['uvu', '-r', 'tsx', 'test', '\\.test\\.ts$', '-i', 'vm', '--bail'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const output = (run.stdout + run.stderr).replace(/\x1b\[[0-9;]*m/g, '');
  const failed = output.match(/FAIL\s+(?:\S.*?\s+)?"([^"]+)"/)?.[1];
  const total = Number(output.match(/Total:\s+(\d+)/)?.[1] ?? 0);
  const passed = Number(output.match(/Passed:\s+(\d+)/)?.[1] ?? 0);
  const caught = run.status !== 0 || passed < total;
  return { caught, by: failed ?? (caught ? `exit ${run.status}, ${passed} of ${total} passed` : '') };
}

// `npm run mutants -- --check`: only that each mutant's text is still in its file once (after a merge)
if (process.argv[2] === '--check') {
  const stale = MUTANTS.filter((m) => readFileSync(m.file, 'utf8').split(m.from).length !== 2);
  for (const m of stale) console.log(`${m.file}: "${m.what}" does not find its text exactly once`);
  console.log(`${MUTANTS.length - stale.length} of ${MUTANTS.length} mutants find their text`);
  process.exit(stale.length ? 1 : 0);
}

// a suite that fails unmutated would count every mutant as caught
const baseline = fastTests();
if (baseline.caught) throw new Error(`the fast tests fail without any mutant (${baseline.by}): fix them first`);

const rows: string[] = [];
let survived = 0;
const [, k, n] = /^--shard=?(\d+)\/(\d+)$/.exec(process.argv.slice(2).join('=')) ?? [];
const only = k ? undefined : process.argv[2];
const chosen = MUTANTS.filter((m, i) =>
  k ? i % Number(n) === Number(k) - 1 : !only || m.file.includes(only) || m.what.includes(only),
);
for (const m of chosen) {
  const original = readFileSync(m.file, 'utf8');
  const count = original.split(m.from).length - 1;
  if (count !== 1)
    throw new Error(
      `${m.file}: the mutant "${m.what}" expects its text once, found ${count} times: update scripts/mutants.ts`,
    );
  writeFileSync(
    m.file,
    original.replace(m.from, () => m.to),
  ); // a function: `$` in the text is no pattern
  if (BUILT.has(m.file)) build();
  try {
    const { caught, by } = fastTests();
    if (!caught) survived++;
    rows.push(
      `${caught ? 'caught  ' : 'SURVIVED'}  ${m.kind.padEnd(8)} ${m.what}${by ? `\n                    by "${by}"` : ''}`,
    );
    console.log(rows.at(-1));
  } finally {
    writeFileSync(m.file, original);
    if (BUILT.has(m.file)) build();
  }
}
console.log(`\n${chosen.length - survived} of ${chosen.length} mutants caught by the fast tests; ${survived} survived`);
process.exitCode = survived ? 1 : 0;
