// Audit: auditd with firstboot's rules. The rules are firstboot's own (contract/audit-rules.ts), carried
// by the audit step's code; the plan says only that the config turns auditing on.
import type { Capability } from './capability';
import { section } from '../config/dsl';
import { enabled } from '../config/kinds';

/** audispd-plugins is left out: auditd 3 ships the syslog plugin itself, and nothing here logs remotely */
export const auditPackages = ['auditd'];

export const auditSection = section(
  {
    enabled: enabled(
      'auditd and its watch rules (identity files, sudoers, sshd config, cron, PAM, time, kernel modules)',
    ),
  },
  { doc: 'The Linux audit daemon: a record of who changed the files that grant access.' },
);

export const audit: Capability<'audit'> = {
  id: 'audit',
  plan: ({ config }) => (config.audit.enabled ? { id: 'audit' } : undefined),
  packages: () => auditPackages,
};
