// User-data for the scenarios, made by the real generator CLI, and the plan read back out of it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import type { Plan, StepId, ParamsOf } from '../../contract/plan';
import { VM_REGISTRY } from './npm';
import { inspect } from '../../generator/inspect';

const CLI = resolve(new URL('../../dist/firstboot.js', import.meta.url).pathname);

export interface KeyPair {
  private: string;
  public: string;
}

/** A throwaway ed25519 key pair for one test run. */
export async function keyPair(): Promise<KeyPair> {
  const file = join(mkdtempSync(join(tmpdir(), 'firstboot-vm-key-')), 'id_ed25519');
  await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'firstboot-vm-test', '-f', file]);
  return { private: file, public: `${file}.pub` };
}

/**
 * `firstboot generate -c CONFIG -o OUT --ssh-key KEY --registry LOCAL
 * [MORE]`, as a user would run it (`env`: the user's, route.ts); no config means the defaults.
 */
export async function generateUserData(
  config: string | undefined,
  key: KeyPair,
  more: string[] = [],
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-vm-config-'));
  const out = join(dir, 'user-data.yaml');
  const args = [CLI, 'generate', '--out', out, '--ssh-key', key.public, '--registry', VM_REGISTRY, ...more];
  if (config !== undefined)
    writeFileSync(join(dir, 'firstboot.yaml'), config), args.push('-c', join(dir, 'firstboot.yaml'));
  await promisify(execFile)(process.execPath, args, { env });
  return readFileSync(out, 'utf8');
}

/** `firstboot pieces --out DIR`, as a user would run it before uploading DIR's file. */
export async function writePieces(dir: string): Promise<void> {
  await promisify(execFile)(process.execPath, [CLI, 'pieces', '--out', dir]);
}

/** The #cloud-config document, whether the user-data is plain or gzip+base64 as a whole. */
export function cloudConfig(userData: string): Record<string, unknown> {
  const text = userData.startsWith('#cloud-config') ? userData : gunzipSync(Buffer.from(userData, 'base64')).toString();
  return yaml.load(text) as Record<string, unknown>;
}

/** The plan the user-data carries, read as `firstboot inspect` reads it. */
export function planOf(userData: string): Plan {
  return inspect(userData).plan;
}

export function stepOf<I extends StepId>(plan: Plan, id: I): ParamsOf<I> | undefined {
  return plan.steps.find((s): s is ParamsOf<I> => s.id === id);
}

/** Generated user-data with `command` run first in cloud-init's bootcmd (test-only setups). */
export function withBootcmd(userData: string, command: string[]): string {
  const config = cloudConfig(userData);
  const bootcmd = [command, ...((config.bootcmd as unknown[] | undefined) ?? [])];
  return `#cloud-config\n${yaml.dump({ ...config, bootcmd }, { lineWidth: -1 })}`;
}
