// The distribution and release the machine runs, as /etc/os-release names them: debian/bookworm,
// ubuntu/noble. Apt repositories are laid out by these two names.
import type { Fs } from './fs';

export async function osRelease(fs: Fs): Promise<{ distro: string; codename: string }> {
  const text = (await fs.read('/etc/os-release')) ?? '';
  const value = (key: string) => new RegExp(`^${key}="?([a-z0-9.-]+)"?$`, 'm').exec(text)?.[1];
  const distro = value('ID');
  const codename = value('VERSION_CODENAME');
  if (!distro || !codename) throw new Error('/etc/os-release names no ID and VERSION_CODENAME');
  return { distro, codename };
}
