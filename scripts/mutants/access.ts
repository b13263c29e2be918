// Mutants in the steps and the client code that guard the way in (ssh, firewall, tailscale, wait): most
// would lock the admin out.
import type { Mutant } from './mutant';

export const ACCESS_MUTANTS: Mutant[] = [
  {
    kind: 'lockout',
    what: 'sshd -T without -C: Match blocks for the admin go unseen',
    file: 'payload/steps/ssh.ts',
    from: 'sshd -T -C ${`user=${admin},host=localhost,addr=127.0.0.1`}',
    to: 'sshd -T ${[]}',
  },
  {
    kind: 'lockout',
    what: 'the ssh step finds "PORT " in ufw\'s rule file instead of parsing rules',
    file: 'payload/steps/ssh.ts',
    from: 'if (!(await ufwActive($)) || allowsTcp(await addedRules(fs), port)) return;',
    to: "if (!(await ufwActive($)) || ((await fs.read('/etc/ufw/user.rules')) ?? '').includes(`${port} `)) return;",
  },
  {
    kind: 'lockout',
    what: "the ssh step trusts ufw limit's exit code, though ufw can skip a rule and answer 0",
    file: 'payload/steps/ssh.ts',
    from: 'if (!allowsTcp(await addedRules(fs), port))\n    throw',
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
    what: 'the firewall enables ufw and drops the old SSH rule although the new one never went in',
    file: 'payload/steps/firewall.ts',
    from: 'if (!onTailnet(sshRule(params)) && !added.some((rule) => key(rule) === key(sshRule(params)))) {',
    to: 'if (false) {',
  },
  {
    kind: 'policy',
    what: 'ufw enabled by ufw-init alone: ENABLED=no in ufw.conf, so the next boot comes up unfiltered',
    file: 'payload/lib/ufw.ts',
    from: "  await setSetting(fs, CONF_FILE, 'ENABLED', 'yes');\n",
    to: '',
  },
  {
    kind: 'policy',
    what: 'a ufw-init start that failed leaves ENABLED=yes for the next boot to try unseen',
    file: 'payload/lib/ufw.ts',
    from: "  await setSetting(fs, CONF_FILE, 'ENABLED', 'no');\n",
    to: '',
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
    kind: 'lockout',
    what: "the tailscale step closes public SSH without the owner's login through the tailnet (tailnet login)",
    file: 'payload/steps/tailscale.ts',
    from: 'if (await tailnetLoginProven($, fs)) {',
    to: 'if (true) {',
  },
  {
    kind: 'lockout',
    what:
      "the firewall drops public SSH once tailscale0 has rules, before the owner's login through the " +
      'tailnet (tailnet login)',
    file: 'payload/steps/firewall.ts',
    from: 'const twins = (await tailnetLoginProven($, fs)) ? tailnetRules(all) : [];',
    to: 'const twins = tailnetRules(all);',
  },
  {
    kind: 'lockout',
    what:
      "the firewall closes public SSH itself once the tailnet login is proven, without the tailscale step's " +
      'proof of sshd there (tailnet login)',
    file: 'payload/steps/firewall.ts',
    from:
      'const old = obsolete(added, wantedRules(params, listening));\n' +
      '    if (mayRemove(params, listening, log, old)) {',
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
    what: 'wait tries root first on a server a wait has seen through, a refused login fail2ban counts',
    file: 'apply/wait.ts',
    from: 'early ? bootLogins(o.plan) : endLogins(o.plan)',
    to: 'bootLogins(o.plan)',
  },
  {
    kind: 'secret',
    what: 'wait logs in to a server whose key nobody pinned, without --trust-first-key',
    file: 'apply/wait.ts',
    from: 'if (!lines.length && !o.trustFirstKey) throw',
    to: 'if (!lines.length && o.trustFirstKey) throw',
  },
  {
    kind: 'secret',
    what: 'wait leaves the host key the user-data carried trusted',
    file: 'apply/wait.ts',
    from: 'if (carried) await trustOwnHostKey(server, boot.login);',
    to: '',
  },
  {
    kind: 'policy',
    what: "the firewall's verify takes a rule for one interface (tailscale0) or one source as open to all",
    file: 'payload/steps/firewall.ts',
    from: "if (!new RegExp(`^-A ${ufw}-user-input ${match}$`, 'm').test(rules))",
    to: "if (!new RegExp(`^-A ${ufw}-user-input .*${match}$`, 'm').test(rules))",
  },
  {
    kind: 'policy',
    what: "the firewall's verify ignores the kernel's policies: an INPUT chain left to ACCEPT passes",
    file: 'payload/steps/firewall.ts',
    from: 'if (!rules.includes(`-P ${chain} ${value.toUpperCase()}\\n`))',
    to: 'if (!rules.includes(`-P ${chain} ${value.toUpperCase()}\\n`) && false)',
  },
  {
    kind: 'policy',
    what: 'the ssh step measures a host key once a run by its path: a key made anew keeps the old size',
    file: 'payload/lib/sshd-keys.ts',
    from: 'const bits = await once($, `bits ${await fs.read(pub)}`',
    to: 'const bits = await once($, `bits ${pub}`',
  },
];
