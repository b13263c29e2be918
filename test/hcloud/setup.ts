// A fake API and a client pointed at it, with waits shortened and recorded so retry tests are fast
// and can still assert how long the client meant to wait.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClientOptions } from '../../hcloud/client';
import { startFakeHcloud, type FakeHcloudOptions } from '../fakes/hcloud-api';
import type { RunSsh, SshResult } from '../../hcloud/ssh-wait';

export async function fakeAndClient(fakeOptions: FakeHcloudOptions = {}, clientOptions: Partial<ClientOptions> = {}) {
  const fake = await startFakeHcloud(fakeOptions);
  const waits: number[] = [];
  const client = createClient({
    token: fake.token,
    endpoint: fake.url,
    pollIntervalMs: 5,
    sleep: (ms) => {
      waits.push(ms);
      return new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
    },
    ...clientOptions,
  });
  return { fake, client, waits };
}

export const create = { name: 'web-1', server_type: 'cx23', image: 'ubuntu-24.04', location: 'fsn1' } as const;

/** A project folder with a config, and a home with ~/.ssh, for the commands that write there. */
export async function workspace(yaml = defaultYaml) {
  const dir = await mkdtemp(join(tmpdir(), 'firstboot-hcloud-'));
  const config = join(dir, 'firstboot.yaml');
  await writeFile(config, yaml);
  return {
    dir,
    config,
    sshConfigPath: join(dir, 'home', '.ssh', 'config'),
    knownHostsPath: join(dir, 'home', '.ssh', 'known_hosts'),
  };
}

export const adminKey =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQur/rZ9TBsuK9LDYPMLWxYD15U4YeWKAC2I/kuCgSc firstboot-demo';
export const defaultYaml = `admin:\n  name: ops\n  ssh_keys: ["${adminKey}"]\nssh:\n  port: 2222\nfirewall:\n  allow: [443/tcp]\nmosh:\n  enabled: true\n  ports: "60000:60010"\n`;

export { standInPayload as payload } from '../payload-stand-in';

export const hostKey = {
  private: '-----BEGIN OPENSSH PRIVATE KEY-----\nstand-in\n-----END OPENSSH PRIVATE KEY-----\n',
  public: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKsZUASajQx5zSFSpZCqIEX8bxGiEpO+n9v8COQKQH/g firstboot host key',
};

/** The key a server makes when create replaces the pinned one. */
export const nextHostKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFhmIwt8DBQ9bVBBJpqcC+5WUZa7Qyf0wPaSbmSqgDL0';

/**
 * A server's ssh as `create --wait` meets it: `firstboot status` answers as the test says, `firstboot
 * host-key` keeps a key as payload/host-key.ts does, starting from the pinned one.
 */
export function fakeServerSsh(status: (args: string[]) => SshResult) {
  const keys: { current: string; next?: string } = { current: hostKey.public.split(' ').slice(0, 2).join(' ') };
  const calls: string[][] = [];
  const run: RunSsh = async (args) => {
    calls.push(args);
    const action = args[args.indexOf('host-key') + 1];
    if (!args.includes('host-key')) return status(args);
    if (action === 'new') keys.next ??= nextHostKey;
    if (action === 'swap' && keys.next) [keys.current, keys.next] = [keys.next, undefined];
    return { code: 0, stdout: `${action === 'new' ? keys.next : keys.current}\n`, stderr: '' };
  };
  return { run, calls, keys };
}
