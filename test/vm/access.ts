// How the VM checks reach a guest: what they expect of it, ssh as the admin (through the tailnet when SSH goes
// only there) paced under ufw's limit, and sudo.
import * as assert from 'uvu/assert';
import type { Plan } from '../../contract/plan';
import { stepOf, type KeyPair } from './userdata';
import type { Vm } from './vm';

export interface Expect {
  plan: Plan;
  key: KeyPair;
  /** firewall rules beyond SSH, as `ufw status` prints them, e.g. "8080/tcp" */
  allow?: string[];
  /** rules that must not be there */
  absent?: string[];
  /** log in through the stand-in tailnet (VmOptions.tailnet), once SSH goes only there */
  tailnet?: boolean;
}

// ufw's `limit` rule drops a source that opens 6 connections within 30 s. The checks stay well under
// that (4 in 35 s: qemu and the guest's clock drift under TCG), so a refused connection is the
// server's answer (or fail2ban's), never the rate limit.
export const opened = new WeakMap<Vm, number[]>();

export const WINDOW_MS = 35_000;

export const PER_WINDOW = 4;

/** Waits until `count` more connections to `vm` stay within ufw's limit, and records them. */
export async function pace(vm: Vm, count = 1): Promise<void> {
  const times = opened.get(vm) ?? [];
  opened.set(vm, times);
  for (let i = 0; i < count; i++) {
    for (;;) {
      const recent = times.filter((t) => Date.now() - t < WINDOW_MS);
      if (recent.length < PER_WINDOW) break;
      await new Promise((res) => setTimeout(res, Math.min(...recent) + WINDOW_MS - Date.now()));
    }
    times.push(Date.now());
  }
}

export function admin(plan: Plan): string {
  const step = stepOf(plan, 'admin');
  if (!step) throw new Error('the plan has no admin step');
  return step.name;
}

export function sshPort(plan: Plan): number {
  return stepOf(plan, 'ssh')?.port ?? 22;
}

/** VMs whose admin connection (ControlMaster) is open: opening it counts against ufw's limit, reusing it does not. */
export const shared = new WeakSet<Vm>();

/** Runs `command` as the admin over one shared connection; asserts it exits 0 and returns stdout. */
export async function asAdmin(vm: Vm, e: Expect, command: string): Promise<string> {
  if (!shared.has(vm)) {
    await pace(vm);
    shared.add(vm);
  }
  const r = await vm.ssh(admin(e.plan), command, {
    port: sshPort(e.plan),
    key: e.key.private,
    reuse: true,
    tailnet: e.tailnet,
  });
  assert.is(r.code, 0, `${command} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export const sudo = (vm: Vm, e: Expect, command: string): Promise<string> => asAdmin(vm, e, `sudo -n ${command}`);
