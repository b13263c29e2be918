// What the CLI's Hetzner Cloud tests share (hcloud.test.ts): a suite with the fake API and a HOME of its own,
// the built CLI run as a user runs it, a stand-in ssh for --wait, and a terminal for delete's question.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeHcloud, type FakeHcloud } from '../fakes/hcloud-api';
import { specLedger } from '../fakes/openapi-check';
import { nextHostKey, runLines, workspace, type RunOutput } from '../hcloud/setup';
import { needs } from '../needs';

export type Context = Awaited<ReturnType<typeof workspace>> & { fake: FakeHcloud; home: string };

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The suite: a fresh fake API, workspace and HOME per test; its requests checked against the API description by `spec`.
 */
export function cliSuite(name: string) {
  const spec = specLedger();
  const test = suite<Context>(name);
  test.before.each(async (context) => {
    // The builder of `firstboot image` powers itself off once its payload is done; here the test does it.
    context.fake = await startFakeHcloud({
      onServerCreated: (server) => {
        if (server.name.endsWith('-builder')) setTimeout(() => context.fake.setServerStatus(server.id, 'off'), 200);
      },
    });
    Object.assign(context, await workspace());
    context.home = join(context.dir, 'home');
  });
  test.after.each(async ({ fake }) => {
    await fake.close();
    spec.record(fake.requests, (r) => r.status === 401);
  });
  return { test, spec };
}

export const envOf = (c: Context, env: Record<string, string | undefined> = {}) => ({
  PATH: `${join(c.dir, 'bin')}:${process.env.PATH}`,
  HOME: c.home,
  NO_COLOR: '1',
  HCLOUD_ENDPOINT: c.fake.url,
  HCLOUD_TOKEN: c.fake.token,
  ...env,
});

/** Runs the CLI; every run is checked for the token, which must never be printed. */
export async function firstboot(
  c: Context,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<Run> {
  // create and image make the server's host key with ssh-keygen
  if (args[0] === 'create' || args[0] === 'image') needs('ssh-keygen', 'openssh-client');
  const run = await new Promise<Run>((resolve) =>
    execFile(
      'node',
      ['dist/firstboot.js', ...args],
      { encoding: 'utf8', env: envOf(c, env) },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ),
  );
  for (const token of [c.fake.token, env.HCLOUD_TOKEN].filter(Boolean)) {
    assert.not.ok(run.stdout.includes(token!) || run.stderr.includes(token!), 'the token was printed');
  }
  return run;
}

/**
 * A stand-in ssh for --wait: `firstboot host-key` answers with nextHostKey; anything else (the follow of
 * the boot's run) with the run's output (setup.ts), or as `script` says.
 */
export async function fakeSsh(c: Context, answer: RunOutput | string) {
  const bin = join(c.dir, 'bin');
  await mkdir(bin, { recursive: true });
  if (typeof answer !== 'string')
    await writeFile(join(bin, 'follow.out'), `${runLines(answer, nextHostKey).join('\n')}\n`);
  const script = typeof answer === 'string' ? answer : `cat '${join(bin, 'follow.out')}'`;
  const hostKey =
    `for a; do last=$a; done\ncase "$last" in "firstboot host-key "*|"sudo -n firstboot host-key "*) echo ` +
    `'${nextHostKey}'; exit 0;; esac`;
  await writeFile(join(bin, 'ssh'), `#!/bin/sh\n${hostKey}\n${script}\n`);
  await chmod(join(bin, 'ssh'), 0o755);
}

export const serverNamed = (c: Context, name: string) => [...c.fake.servers.values()].find((s) => s.name === name)!;

/** `firstboot delete web-1` on a terminal (util-linux's script makes one), answering its question. */
export function deleteOnTerminal(c: Context, typed: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', 'node dist/firstboot.js delete web-1', '/dev/null'], { env: envOf(c) });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const asked = !output.includes('to confirm:');
      output += chunk.toString();
      if (asked && output.includes('to confirm:')) child.stdin.write(`${typed}\n`);
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}
