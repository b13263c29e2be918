// How the VM checks reach a guest: what they expect of it, ssh as the admin (through the tailnet when SSH goes
// only there) paced under ufw's limit, and sudo.
import * as assert from 'uvu/assert';
import type { Plan } from '../../contract/plan';
import { SSH_LIMIT, pacer } from '../../ssh/pace';
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

// The checks keep under ufw's limit on SSH as the CLI does (ssh/pace.ts), so a refused connection is the
// server's answer (or fail2ban's), never the rate limit.
const paced = pacer();

export const { windowMs: WINDOW_MS, connections: PER_WINDOW } = SSH_LIMIT;

/** Resolves once every connection made so far has left ufw's window (the CLI's, which `pace` does not count). */
export const windowPasses = () => new Promise<void>((res) => setTimeout(res, WINDOW_MS));

/** Waits until `count` more connections to `vm` stay within ufw's limit, and counts them. */
export async function pace(vm: Vm, count = 1): Promise<void> {
  for (let i = 0; i < count; i++) await paced(vm.opts.name);
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
