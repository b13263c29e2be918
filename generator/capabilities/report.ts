// The daily security report: where it goes and through which mail server; what it says is the
// payload's (payload/daily-report.ts). The ports the firewall opens travel along, so the report can name
// what listens beyond them.
import type { Capability } from './capability';
import { firewall } from './firewall';

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
