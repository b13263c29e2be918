// Kernel and network settings: the plan says only that the config turns them on; the settings are
// firstboot's own (contract/kernel-settings.ts), carried by the sysctl step's code.
import type { Capability } from './capability';

/** sysctl(8), which the step's checks read live values with (systemd-sysctl, which applies them, is in systemd) */
export const sysctlPackages = ['procps'];

export const sysctl: Capability<'sysctl'> = {
  id: 'sysctl',
  plan: ({ config }) => (config.sysctl.enabled ? { id: 'sysctl' } : undefined),
  packages: () => sysctlPackages,
};
