// Kernel and network settings: the plan says only that the config turns them on; the settings are
// firstboot's own (contract/kernel-settings.ts), carried by the sysctl step's code.
import type { Capability } from './capability';
import { section } from '../config/dsl';
import { enabled } from '../config/kinds';

/** sysctl(8), which the step's checks read live values with (systemd-sysctl, which applies them, is in systemd) */
export const sysctlPackages = ['procps'];

export const sysctlSection = section(
  { enabled: enabled('the kernel and network hardening settings') },
  {
    doc:
      'Kernel and network hardening through sysctl (e.g. no redirects, no source routing, restricted dmesg ' +
      "and ptrace; IPv6 router advertisements ignored where the server's IPv6 is static, as at Hetzner).",
  },
);

export const sysctl: Capability<'sysctl'> = {
  id: 'sysctl',
  plan: ({ config }) => (config.sysctl.enabled ? { id: 'sysctl' } : undefined),
  packages: () => sysctlPackages,
};
