// Where `ssh TARGET` leads, as the user has OpenSSH set up (config, known_hosts): the server apply
// and create talk to.
import { knownHostName } from './known-hosts';
import { sshSettings } from './config';
import { Fail } from '../contract/fail';

export interface Target {
  /** what the user typed, minus user and port: a host name, an address or a Host alias */
  name: string;
  user: string;
  hostname: string;
  port: number;
  /** the known_hosts name the host key is checked under, whatever port and user later logins use */
  hostKeyAlias: string;
  /** the user's known_hosts file, where apply adds the host under a new port */
  knownHosts: string;
  /** trust only `knownHosts` (create pinned the server's key there before it booted) */
  pinned?: boolean;
  /** pinned, but with no key there yet: the first ed25519 key the server answers with goes there */
  trustFirst?: boolean;
}

/** `[USER@]HOST[:PORT]`, HOST an address (IPv6 in brackets when a port follows), a name or a Host alias. */
export function parseTarget(text: string): { name: string; user?: string; port?: number } {
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : undefined;
  const rest = text.slice(at + 1);
  let [name, port]: (string | undefined)[] = [rest, undefined];
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracketed) [name, port] = [bracketed[1], bracketed[2]];
  // one colon: HOST:PORT; more: a bare IPv6 address
  else if (rest.split(':').length === 2) [name, port] = rest.split(':');
  if (!name || user === '' || (port !== undefined && !/^\d+$/.test(port)))
    throw new Fail(`"${text}" is not [USER@]HOST[:PORT]`, 2);
  if (port !== undefined && !(+port >= 1 && +port <= 65535))
    throw new Fail(`"${text}": the port must be from 1 to 65535`, 2);
  return { name, user, port: port === undefined ? undefined : +port };
}

/** Where ssh would go for this target, by the user's own config (`ssh -G`). */
export async function resolveTarget(text: string): Promise<Target> {
  const { name, user, port } = parseTarget(text);
  const args = [...(user ? ['-l', user] : []), ...(port ? ['-p', String(port)] : []), '--', name];
  const value = await sshSettings(args).catch((err: { stderr?: string }) => {
    throw new Fail(`ssh cannot read its config for ${name}: ${err.stderr?.trim() || err}`, 2);
  });
  const resolved = { name, user: value('user')!, hostname: value('hostname')!, port: Number(value('port')) };
  return {
    ...resolved,
    hostKeyAlias: value('hostkeyalias') ?? knownHostName(resolved.hostname, resolved.port),
    knownHosts: value('userknownhostsfile')!.split(' ')[0],
  };
}
