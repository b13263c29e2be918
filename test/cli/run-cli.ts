// The shipped CLI bundle (dist/firstboot.js) run as a user runs it, its version, and a folder for its files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tmp = mkdtempSync(join(tmpdir(), 'firstboot-cli-'));

export const firstboot = (...args: string[]) =>
  spawnSync('node', ['dist/firstboot.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

export const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
