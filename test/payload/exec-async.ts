// A tool run without blocking this process (which may be serving what the tool fetches): its exit code and
// output, never a throw.
import { execFile } from 'node:child_process';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

// async: the repository is served from this process, which a spawnSync would block
export const exec = (cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) =>
  new Promise<Result>((res) => {
    execFile(cmd, args, { ...opts, encoding: 'utf8' }, (error, stdout, stderr) => {
      res({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
