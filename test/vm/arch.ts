// What differs between the guests' architectures: Hetzner's x86 servers (amd64) and its Arm servers (CAX,
// arm64). Each is emulated (TCG); an image of another architecture than the host's is built by running its
// binaries through qemu-user, which binfmt_misc starts.
import { existsSync, readFileSync } from 'node:fs';
import type { Arch } from './packages';

/** qemu-efi-aarch64's UEFI firmware */
export const AARCH64_FIRMWARE = '/usr/share/qemu-efi-aarch64/QEMU_EFI.fd';

export interface Machine {
  qemu: string;
  /** the machine, CPU and firmware */
  args: string[];
  /** the serial console's device in the guest */
  console: string;
}

export function machine(arch: Arch): Machine {
  if (arch === 'amd64')
    return { qemu: 'qemu-system-x86_64', args: ['-accel', 'tcg,thread=multi', '-cpu', 'max'], console: 'ttyS0' };
  return {
    qemu: 'qemu-system-aarch64',
    args: [
      '-M',
      'virt',
      '-accel',
      'tcg,thread=multi',
      // the core of Hetzner's CAX servers (Ampere Altra). `max` also offers SVE, pointer authentication and BTI,
      // which the real servers lack; under it, Debian 12's Node.js died once mid-payload in V8 (a fatal
      // "unreachable code"), and a rerun on the same VM did not (test/vm/README.md)
      '-cpu',
      'neoverse-n1',
      // SMBIOS (Hetzner's sys_vendor and serial, which cloud-init's datasource reads) reaches an arm64 kernel
      // only through UEFI's tables; the firmware boots -kernel and -initrd from fw_cfg
      '-bios',
      AARCH64_FIRMWARE,
    ],
    // the virt machine's PL011 UART
    console: 'ttyAMA0',
  };
}

const HOST: Arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
const BINFMT: Record<Arch, string> = { amd64: 'qemu-x86_64', arm64: 'qemu-aarch64' };

/** Throws, saying what to install or run, unless this host can run `arch`'s binaries for mmdebstrap. */
export function checkForeign(arch: Arch): void {
  if (arch === HOST) return;
  const handler = `/proc/sys/fs/binfmt_misc/${BINFMT[arch]}`;
  if (existsSync(handler) && readFileSync(handler, 'utf8').startsWith('enabled')) return;
  throw new Error(
    `building an ${arch} image on ${HOST} runs ${arch}'s binaries through binfmt_misc, and ${handler} is not ` +
      'enabled: sudo scripts/test-deps --arm64 installs qemu-user-static, binfmt-support and arch-test, mounts ' +
      'binfmt_misc and enables the handler',
  );
}
