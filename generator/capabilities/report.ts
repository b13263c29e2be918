// The daily security report: where it goes and through which mail server; what it says is the
// payload's (payload/daily-report.ts). The ports the firewall opens travel along, so the report can name
// what listens beyond them.
import type { Capability } from './capability';
import { firewall } from './firewall';
import { boolean, oneOf, optional, section, string } from '../config/dsl';
import { email, hostName, secret, timeOfDay } from '../config/kinds';
import { portNumber } from '../config/ports';

export const reportSection = section(
  {
    enabled: boolean({ doc: 'Turn the daily security report on or off.', default: false }),
    to: optional(
      email({
        doc: 'The address the report goes to (required when the report is on).',
      }),
    ),
    from: optional(
      email({
        doc: 'The sender address.',
        defaultText: 'smtp.user, when it is an address',
      }),
    ),
    time: timeOfDay({
      doc:
        'When it is sent every day, "HH:MM" in the server\'s time zone (quoted). A server that was off then ' +
        'sends it once it is up again.',
      default: '07:00',
    }),
    smtp: section(
      {
        host: optional(hostName({ doc: 'The SMTP server (required when the report is on).' })),
        port: portNumber({
          doc: 'Its port: 587 for STARTTLS, 465 for TLS from the first byte.',
          default: 587,
        }),
        tls: oneOf(['starttls', 'tls'] as const, {
          doc:
            "How the connection is encrypted; it always is, and the server's certificate is checked against " +
            "the system's CA certificates.",
          default: 'starttls',
        }),
        user: optional(
          string({
            doc: "The SMTP login; without it, no AUTH (a relay that trusts the server's address).",
            expect: 'a user name or address',
            pattern: /^[^\s:]+$/,
          }),
        ),
        password: secret({
          doc:
            'The SMTP password: "secret:NAME", given at `firstboot apply` or `create --wait`. It stays in ' +
            'the root-only secrets folder; msmtp reads it from there each time it sends.',
        }),
      },
      { doc: 'The mail server the report goes through (msmtp).' },
    ),
  },
  {
    doc:
      'A daily security report by email (a systemd timer runs `firstboot report --now`): the result of ' +
      '`firstboot check`, failed SSH logins and fail2ban bans of the last day, sudo use, audit events by ' +
      'rule, pending upgrades and a due reboot, disk and memory, and listening ports the plan does not know; ' +
      "with the toolchain, the Nix store's size, how the last garbage collection went, and each pinned tool " +
      "against the registry's latest. `sudo firstboot report --print` shows it without mailing.",
  },
);

export const report: Capability<'report'> = {
  id: 'report',
  plan: ({ config }) => {
    const { report: r } = config;
    if (!r.enabled) return undefined;
    const open = firewall.plan({ config, secrets: false })!.rules.map((rule) => `${rule.port}/${rule.proto}`);
    const smtp = {
      host: r.smtp.host!,
      port: r.smtp.port,
      tls: r.smtp.tls,
      ...(r.smtp.user && { user: r.smtp.user }),
      ...(r.smtp.password && { password: r.smtp.password }),
    };
    return { id: 'report', to: r.to!, from: r.from ?? r.smtp.user!, time: r.time, smtp, open };
  },
  // the CA certificates msmtp checks the server against are not on minimal images
  packages: () => ['msmtp', 'ca-certificates'],
};
