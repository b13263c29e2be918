// ufw applies its own sysctl.conf (log_martians=0 among it) each time it starts, and runs
// /etc/ufw/after.init right after: the sysctl step's hook there puts firstboot's values back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sysctlStep, SYSCTL_FILE, UFW_HOOK, UFW_HOOK_TEMPLATE, ufwHook } from '../../payload/steps/sysctl';
import { stepContext } from './context';
import { needs } from '../needs';

const step = sysctlStep([['net.ipv4.conf.all.log_martians', '1']]);

/** ufw 0.36's template, as its package ships it in /usr/share/ufw (comments trimmed) */
const TEMPLATE =
  '#!/bin/sh\n#\n# after.init: if executable, called by ufw-init.\nset -e\n\ncase "$1" in\nstart)\n    ;;\nesac\n';

/**
 * A kernel where the one key already has firstboot's value, so only files can differ, with ufw as its
 * package installs it: the template in /usr/share/ufw, and its copy in /etc/ufw, mode 640.
 */
function machine() {
  const ctx = stepContext({ id: 'sysctl' as const });
  ctx.$.on(/^sysctl /, { stdout: 'net.ipv4.conf.all.log_martians = 1\n' }).on('systemctl restart systemd-sysctl', {});
  ctx.fs.seed(SYSCTL_FILE, '').seed(UFW_HOOK_TEMPLATE, TEMPLATE).seed(UFW_HOOK, TEMPLATE, 0o640);
  return ctx;
}

test("the package's idle hook is replaced, after the file the new one applies, and then nothing differs", async () => {
  const ctx = machine();
  assert.equal(await step.check(ctx), [
    `${SYSCTL_FILE} differs`,
    `${UFW_HOOK} differs`,
    `${UFW_HOOK} has mode 0640, wants 0755`,
  ]);
  await step.apply(ctx);
  assert.equal(ctx.fs.writes, [SYSCTL_FILE, UFW_HOOK]);
  assert.is((await ctx.fs.stat(UFW_HOOK))?.mode, 0o755);
  assert.equal(await step.check(ctx), []);
});

test('where ufw put no hook at all, firstboot writes its own', async () => {
  const ctx = machine();
  ctx.fs.files.delete(UFW_HOOK);
  assert.ok((await step.check(ctx)).includes(`${UFW_HOOK} is missing`));
  await step.apply(ctx);
  assert.is(await ctx.fs.read(UFW_HOOK), ufwHook.content);
});

test("an admin's own after.init is left alone, and the run says what that costs", async () => {
  const ctx = machine();
  const theirs = '#!/bin/sh\n# route the VPN\nip route add 10.8.0.0/24 dev tun0\n';
  ctx.fs.seed(UFW_HOOK, theirs, 0o755);
  assert.equal(await step.check(ctx), [`${SYSCTL_FILE} differs`]);
  await step.apply(ctx);
  assert.is(await ctx.fs.read(UFW_HOOK), theirs);
  assert.ok(ctx.lines.some((line) => line.includes(`[WARN] sysctl: ${UFW_HOOK} is not firstboot's; left alone`)));
});

test('firstboot takes back a hook of its own that was edited', async () => {
  const ctx = machine();
  ctx.fs.seed(UFW_HOOK, ufwHook.content.replace('sysctl -q', 'true || sysctl -q'), 0o755);
  assert.equal(await step.check(ctx), [`${SYSCTL_FILE} differs`, `${UFW_HOOK} differs`]);
  await step.apply(ctx);
  assert.is(await ctx.fs.read(UFW_HOOK), ufwHook.content);
});

/** The hook run by sh as ufw-init runs it, with a sysctl on PATH that records its arguments. */
function runHook(action: string, sysctlExit = 0): { code: number | null; calls: string } {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-hook-'));
  writeFileSync(join(dir, 'sysctl'), `#!/bin/sh\necho "$*" >> ${dir}/calls\nexit ${sysctlExit}\n`);
  chmodSync(join(dir, 'sysctl'), 0o755);
  writeFileSync(join(dir, 'calls'), '');
  const run = spawnSync('sh', ['-c', ufwHook.content, 'after.init', action], {
    env: { PATH: `${dir}:/usr/bin:/bin` },
  });
  return { code: run.status, calls: readFileSync(join(dir, 'calls'), 'utf8') };
}

test("ufw-init's start runs firstboot's file through sysctl; its other actions do nothing; it never fails ufw", () => {
  assert.equal(runHook('start'), { code: 0, calls: `-q -e -p ${SYSCTL_FILE}\n` });
  for (const action of ['stop', 'status', 'flush-all']) assert.equal(runHook(action), { code: 0, calls: '' });
  // ufw-init counts a failing after.init as its own failure: a key the kernel refuses must not stop ufw
  assert.equal(runHook('start', 1), { code: 0, calls: `-q -e -p ${SYSCTL_FILE}\n` });
  needs('shellcheck', 'shellcheck');
  const lint = spawnSync('shellcheck', ['-'], { input: ufwHook.content, encoding: 'utf8' });
  assert.is(lint.status, 0, lint.stdout);
});

test.run();
