// config -> plan: pure, JSON-serialisable, the same config always gives the same plan.
import type { Config } from './config/schema';
import type { Plan, StepPlan } from '../contract/plan';
import { configHash } from './config/hash';
import { sshPackages, sshPlan } from './capabilities/ssh';
import { firewallPackages, firewallPlan } from './capabilities/firewall';
import { fail2banPackages, fail2banPlan } from './capabilities/fail2ban';
import { auditPackages, auditPlan } from './capabilities/audit';
import { sysctlPackages, sysctlPlan } from './capabilities/sysctl';
import { upgradesPackages, upgradesPlan } from './capabilities/upgrades';
import { shellPackage } from './capabilities/packages';
import { adminPackages } from './capabilities/admin';
import { metadataPackages, metadataPlan } from './capabilities/metadata';
import pkg from '../package.json' with { type: 'json' };

export interface PlanOptions {
  mode?: Plan['mode'];
  /** the user-data will hold a secret: only root may read the metadata service */
  secrets?: boolean;
}

export function plan(config: Config, { mode = 'boot', secrets = false }: PlanOptions = {}): Plan {
  const { admin, ssh, firewall, mosh, fail2ban, audit, sysctl, upgrades } = config;
  const install = [
    ...sshPackages,
    ...firewallPackages,
    ...(mosh.enabled ? ['mosh'] : []),
    ...(fail2ban.enabled ? fail2banPackages : []),
    ...(audit.enabled ? auditPackages : []),
    ...(sysctl.enabled ? sysctlPackages : []),
    ...(upgrades.enabled ? upgradesPackages : []),
    ...adminPackages,
    ...(secrets ? metadataPackages : []),
    ...[shellPackage(admin.shell)].filter((name): name is string => !!name),
  ];
  const steps: (StepPlan | false)[] = [
    { id: 'packages', install: [...new Set(install)] },
    secrets && metadataPlan(),
    config.hostname !== undefined && { id: 'hostname', hostname: config.hostname },
    { id: 'timezone', timezone: config.timezone },
    { id: 'admin', name: admin.name, shell: admin.shell, keys: admin.ssh_keys },
    sshPlan({ port: ssh.port, admin: admin.name }),
    firewallPlan({ sshPort: ssh.port, mosh: mosh.enabled && { ports: mosh.ports }, allow: firewall.allow }),
    fail2ban.enabled && fail2banPlan({ sshPort: ssh.port, ...fail2ban }),
    audit.enabled && auditPlan(),
    sysctl.enabled && sysctlPlan({}),
    { id: 'pam' },
    upgrades.enabled && upgradesPlan({ reboot: upgrades.reboot }),
    config.packages.length > 0 && { id: 'extras', install: config.packages },
  ];
  return {
    firstboot: pkg.version,
    configHash: configHash(config),
    mode,
    steps: steps.filter((step): step is StepPlan => step !== false),
  };
}
