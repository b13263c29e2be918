// The admin account step: the account itself comes from the config as is (name, shell, keys).

/**
 * The admin gets root through a file in /etc/sudoers.d, so sudo must be there: Debian's minimal images
 * (debootstrap, mmdebstrap --variant=minbase) do not include it.
 */
export const adminPackages: string[] = ['sudo'];
