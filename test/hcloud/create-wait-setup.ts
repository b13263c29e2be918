// What the create --wait tests share: the options, what each ssh call was, the statuses a run ends with, and
// where sshd answers after it.
import type { RunRemote } from '../../ssh/run';
import {
  createOptions,
  kindOf,
  sshFails,
  statusOf,
  type CreateContext,
  type RunOutput,
  type ServerCall,
} from './setup';

export const options = (c: CreateContext, run: RunRemote, extra: Parameters<typeof createOptions>[1] = {}) =>
  createOptions(c, { wait: true, runRemote: run, ...extra });

export const at = (call: ServerCall) => `${call.login.user}@${call.login.port}`;

/** what each call over ssh was, and as whom on which port */
export const calls = (server: { calls: ServerCall[] }) =>
  server.calls.map((c) => `${kindOf(c.login, c.command)} ${at(c)}`);

/** the logins that tried to follow the boot's run, in order */
export const follows = (server: { calls: ServerCall[] }) =>
  server.calls.filter((c) => kindOf(c.login, c.command) === 'boot').map(at);

export const hostKeySteps = (login: string) => [`host-key ${login}`, `host-key ${login}`, `host-key ${login}`];

export const done = statusOf(true, [
  { id: 'admin', result: 'changed' },
  { id: 'ssh', result: 'changed' },
]);

export const failed = statusOf(false, [
  { id: 'admin', result: 'changed' },
  { id: 'ssh', result: 'failed', error: 'sshd -t failed' },
]);

/** sshd moved to the plan's port: nothing answers on 22 any more */
export const moved =
  (run: RunOutput) =>
  ({ login }: ServerCall) =>
    login.port === 22 ? sshFails.unreachable(login) : run;

/** sshd stayed on 22: nothing answers on the plan's port */
export const stayed =
  (run: RunOutput) =>
  ({ login }: ServerCall) =>
    login.port === 2222 ? sshFails.unreachable(login) : run;
