// What every scenario does around its checks: boot, wait for the payload, keep artifacts on failure.
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { shared, sshPort, type Expect } from './access';
import { checkFail2banLast, checkInside, checkLogins, checkSshAudit } from './checks';
import { generateUserData, keyPair, planOf, type KeyPair } from './userdata';
import { bootVm, type Vm } from './vm';
import type { VmOptions } from './vm-options';

/** The payload's last console line. */
export const FINISHED = /firstboot finished: (ok|failed)[^\r\n]*/;
/** cloud-final's last console line. */
export const CLOUD_INIT_FINISHED = /Cloud-init v\. \S+ finished at[^\r\n]*/;

/** Boots, runs `body`, keeps artifacts if it throws, and always cleans up. */
export async function withVm(opts: VmOptions, body: (vm: Vm) => Promise<void>): Promise<void> {
  const vm = await bootVm(opts);
  try {
    await body(vm);
  } catch (error) {
    await vm.keepArtifacts().catch((e: Error) => console.log(`# keeping artifacts failed: ${e.message}`));
    throw error;
  } finally {
    await vm.close();
  }
}

/**
 * A clean power cycle, done when cloud-init has finished the new boot: what is checked after it is what
 * the boot brings up (ufw's rules from its files, the units firstboot enabled), not what the run left running.
 */
export async function powerCycle(vm: Vm): Promise<void> {
  await vm.powerOff();
  shared.delete(vm); // the admin's shared connection ended with the guest
  await vm.start();
  const [line] = await vm.waitForConsole(CLOUD_INIT_FINISHED, 10 * 60_000);
  console.log(`# ${vm.opts.name}: powered on again, "${line.trim()}" in ${vm.uptime().toFixed(0)} s`);
}

/** Waits for the payload's final line, prints the time since power-on, and asserts it is ok. */
export async function waitForFirstboot(vm: Vm, deadlineMs = 25 * 60_000): Promise<string> {
  const [line] = await vm.waitForConsole(FINISHED, deadlineMs);
  console.log(`# ${vm.opts.name}: power-on to "${line.trim()}" in ${vm.uptime().toFixed(0)} s`);
  assert.match(line, /firstboot finished: ok/);
  return line;
}

export interface Hardened {
  key: KeyPair;
  userData: string;
  expect: Expect;
  /** guest ports to forward: 22 and the configured SSH port */
  hostPorts: number[];
  /** the key as the Hetzner project's SSH key, which the metadata gives to root */
  publicKeys: string[];
}

/**
 * A key (fresh unless given), user-data from the real CLI for `config` (and `more` of generate's
 * options, run in `env`), and what the checks expect of it.
 */
export async function hardened(
  config: string | undefined,
  allow: string[] = [],
  more: string[] = [],
  user: { key?: KeyPair; env?: NodeJS.ProcessEnv } = {},
): Promise<Hardened> {
  const key = user.key ?? (await keyPair());
  const userData = await generateUserData(config, key, more, user.env);
  const plan = planOf(userData);
  return {
    key,
    userData,
    expect: { plan, key, allow },
    hostPorts: [...new Set([22, sshPort(plan)])],
    publicKeys: [readFileSync(key.public, 'utf8').trim()],
  };
}

/**
 * Every check, the ban last (it locks the host out and powers the
 * VM off); `forged`: an address fail2ban must not have counted.
 */
export async function checkAll(vm: Vm, e: Expect, forged?: string): Promise<void> {
  await checkLogins(vm, e);
  await checkInside(vm, e);
  await checkSshAudit(vm, e);
  await checkFail2banLast(vm, e, forged);
}
