// Bootable Debian images for the VMs: a stock Hetzner-like system (cloud-init, sshd, no nodejs),
// built with mmdebstrap from the local repository and kept in the cache as a raw ext4 file system
// plus the kernel and initrd for direct kernel boot.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { checkForeign } from './arch';
import { cacheKey, cachePath, removeTree, run, since } from './exec';
import { type Arch, basePackages, minimalPackages, type Suite } from './packages';
import { buildRepo, SECURITY_DIR } from './repo';

export interface ImageOptions {
  suite: Suite;
  /** sshd started by ssh.socket with ssh.service disabled, as Ubuntu 24.04 ships it */
  sshSocket?: boolean;
  /** mmdebstrap's apt variant: no tzdata, no sudo (packages.ts) */
  minimal?: boolean;
  /** amd64 unless said */
  arch?: Arch;
}

export interface Image {
  disk: string;
  kernel: string;
  initrd: string;
}

/** Where the guest finds the local repository: a guestfwd address on qemu's user network. */
export const REPO_ADDRESS = '169.254.169.253';

const DISK_SIZE = '6G';

// Like Hetzner's images: the metadata's SSH keys go to root and there is no default user.
// ssh_pwauth makes cloud-init write `PasswordAuthentication yes` into sshd_config.d/50-cloud-init.conf,
// the worst case the ssh step must override. sources.list points at the local repository.
const CLOUD_CFG = `disable_root: false
users: []
ssh_pwauth: true
apt:
  preserve_sources_list: true
`;

// trusted=yes: the repository is built on the host from Debian's signed archive and reached only
// through a loopback forward, so there is no signature left to check on the guest's side. Its second
// suite stands in for the security archive every Debian image names (repo.ts).
const SOURCES =
  `deb [trusted=yes] http://${REPO_ADDRESS}/ ./\n` + `deb [trusted=yes] http://${REPO_ADDRESS}/${SECURITY_DIR}/ ./\n`;

function customizeHooks(out: string, sshSocket: boolean): string[] {
  const hooks = [
    `printf '%s' '${SOURCES}' > "$1/etc/apt/sources.list"`,
    'rm -f "$1"/etc/apt/sources.list.d/*',
    `printf '%s' '${CLOUD_CFG}' > "$1/etc/cloud/cloud.cfg.d/90-hetzner-like.cfg"`,
    `echo 'LABEL=root / ext4 defaults,errors=remount-ro 0 1' > "$1/etc/fstab"`,
    // cloud-init makes fresh host keys per instance; shipping shared ones would hide that.
    'rm -f "$1"/etc/ssh/ssh_host_*',
    `cp "$1"/boot/vmlinuz-* ${out}/vmlinuz && cp "$1"/boot/initrd.img-* ${out}/initrd.img`,
  ];
  if (sshSocket) hooks.push('chroot "$1" systemctl disable ssh.service', 'chroot "$1" systemctl enable ssh.socket');
  return hooks;
}

/** Builds the image for `opts` unless the cache has it; the key covers everything that shapes it. */
export async function buildImage(opts: ImageOptions): Promise<Image> {
  const arch = opts.arch ?? 'amd64';
  const repo = await buildRepo(opts.suite, arch);
  const sshSocket = opts.sshSocket ?? false;
  const minimal = opts.minimal ?? false;
  const packages = minimal ? minimalPackages(opts.suite, arch) : basePackages(opts.suite, arch);
  const recipe = {
    suite: opts.suite,
    sshSocket,
    minimal,
    repo,
    hooks: customizeHooks('OUT', sshSocket),
    packages,
    DISK_SIZE,
  };
  // amd64's name and recipe stay what they were (the repository's path tells the architectures apart)
  const variant = `${sshSocket ? '-socket' : ''}${minimal ? '-minimal' : ''}`;
  const name = `${opts.suite}${arch === 'amd64' ? '' : `-${arch}`}${variant}`;
  const dir = cachePath(`image-${name}-${cacheKey(recipe)}`);
  const image = { disk: join(dir, 'disk.raw'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
  if (existsSync(image.disk)) return image;

  checkForeign(arch);
  const start = performance.now();
  const tmp = `${dir}.tmp`;
  await removeTree(tmp);
  mkdirSync(tmp);
  const log = join(tmp, 'build.log');
  console.log(`# building the ${name} image (log: ${log})`);
  const tree = join(tmp, 'tree');
  await run(
    'mmdebstrap',
    [
      '--mode=root',
      `--architectures=${arch}`,
      ...(minimal ? ['--variant=apt'] : []),
      `--include=${packages.join(',')}`,
      // file:// mirrors must be visible inside the chroot for the second install stage
      '--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount',
      ...customizeHooks(tmp, sshSocket).map((h) => `--customize-hook=${h}`),
      opts.suite,
      tree,
      `deb [trusted=yes] file://${repo} ./`,
    ],
    { log },
  );
  await run('mkfs.ext4', ['-q', '-L', 'root', '-d', tree, join(tmp, 'disk.raw'), DISK_SIZE], { log });
  await removeTree(tree);
  await removeTree(dir);
  renameSync(tmp, dir);
  console.log(`# ${name} image built in ${since(start)}`);
  return image;
}
