// firstboot.yaml: every option, documented once, in the section its capability declares beside its plan
// (generator/capabilities/); this file puts the sections together in the order the docs list them. The
// Config type, the README's config reference and firstboot.schema.json are generated from it (npm run schema).
// A new section (tailscale, geoip, ...) is declared in its capability's file and is one entry in `schema`
// below, plus its rules in rules.ts if it clashes with other options.
import { section, type Infer } from './dsl';
import { adminSection } from '../capabilities/admin';
import { auditSection } from '../capabilities/audit';
import { devtoolsSection } from '../capabilities/devtools';
import { fail2banSection } from '../capabilities/fail2ban';
import { firewallSection, moshSection } from '../capabilities/firewall';
import { geoipSection } from '../capabilities/geoip';
import { hostnameField } from '../capabilities/hostname';
import { packagesField } from '../capabilities/packages';
import { reportSection } from '../capabilities/report';
import { sshSection } from '../capabilities/ssh';
import { sysctlSection } from '../capabilities/sysctl';
import { tailscaleSection } from '../capabilities/tailscale';
import { timezoneField } from '../capabilities/timezone';
import { upgradesSection } from '../capabilities/upgrades';

export const schema = section(
  {
    hostname: hostnameField,
    timezone: timezoneField,
    admin: adminSection,
    ssh: sshSection,
    firewall: firewallSection,
    mosh: moshSection,
    fail2ban: fail2banSection,
    audit: auditSection,
    sysctl: sysctlSection,
    upgrades: upgradesSection,
    report: reportSection,
    devtools: devtoolsSection,
    geoip: geoipSection,
    tailscale: tailscaleSection,
    packages: packagesField,
  },
  {
    doc:
      'firstboot.yaml: what firstboot makes of a fresh Hetzner Cloud server. Every option has a safe ' +
      'default; only an SSH public key is required.',
  },
);

/** The resolved config: defaults filled in, admin.ssh_keys holding key lines (no paths). */
export type Config = Infer<typeof schema>;
