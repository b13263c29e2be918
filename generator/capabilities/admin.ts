// The admin account step: the account itself comes from the config as is (name, shell, keys).
import type { Capability } from './capability';
import { shellPackage } from './packages';

/**
 * The admin gets root through a file in /etc/sudoers.d, so sudo must be there: Debian's minimal images
 * (debootstrap, mmdebstrap --variant=minbase) do not include it. passwd (useradd, usermod) is not
 * Essential either.
 */
export const adminPackages: string[] = ['sudo', 'passwd'];

export const admin: Capability<'admin'> = {
  id: 'admin',
  plan: ({ config: { admin } }) => ({
    id: 'admin',
    name: admin.name,
    shell: admin.shell,
    keys: admin.ssh_keys,
    ...(admin.password && { password: admin.password }),
  }),
  packages: ({ config }) => [
    ...adminPackages,
    ...[shellPackage(config.admin.shell)].filter((name): name is string => !!name),
  ],
};
