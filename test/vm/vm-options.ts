// What a VM (vm.ts) is booted with, and what its ssh takes and answers.
import type { Arch, Suite } from './packages';

export interface VmOptions {
  /** names the work and artifact folders; also the hostname the metadata hands out */
  name: string;
  suite: Suite;
  /** the guest's architecture: amd64 (x86, the default) or arm64 (Hetzner's CAX), emulated either way */
  arch?: Arch;
  /** the user_data as it would be sent to Hetzner */
  userData: string | Buffer;
  sshSocket?: boolean;
  /** a minimal image (image.ts) */
  minimal?: boolean;
  /** guest TCP ports reachable on 127.0.0.1 (see `ports`) */
  hostPorts?: number[];
  /**
   * guest TCP ports reachable through the stand-in tailnet (tailscale.ts; see `tailnetPorts`): a second NIC on a
   * network of its own, which the stand-in's `tailscale up` renames to tailscale0 and gives the node's address
   */
  tailnet?: number[];
  /** the metadata's public-keys: what Hetzner installs for root from the project's SSH keys */
  publicKeys?: string[];
  instanceId?: string;
  memoryMiB?: number;
  /** more services on the host the guest reaches: ADDRESS:PORT in the guest's network -> 127.0.0.1:to */
  services?: { address: string; port: number; to: number }[];
  /** more folders the repository serves, by path (tailscale.ts) */
  served?: Record<string, string>;
  /** more tarballs the npm registry gets, published before the VM starts (npm.ts localPackage) */
  publish?: string[];
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SshOptions {
  /** guest port (default 22) */
  port?: number;
  /** private key file; without it only non-key methods are offered */
  key?: string;
  /** extra ssh -o options, e.g. PreferredAuthentications=password */
  options?: string[];
  /** share one connection between calls (ControlMaster), so a run of commands is one login */
  reuse?: boolean;
  /** the whole command, after which ssh is killed and the result is exit 255 (default 5 minutes) */
  timeoutMs?: number;
  /** through the stand-in tailnet (VmOptions.tailnet) rather than the public forward */
  tailnet?: boolean;
  /** the command's stdin (a secret stays off its command line); none by default */
  input?: string;
}
