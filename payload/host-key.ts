// `firstboot host-key new | swap | show`: the ed25519 host key `firstboot create` pinned travels in the
// user-data, which root can still read from the metadata service. Once the client has logged in with
// it, create replaces it over that authenticated connection in two steps, so that the client's
// known_hosts holds the key the server answers with at every moment:
//   new    makes the next key (once) and prints its public half: the client adds it beside the old one
//   swap   puts it in place of the old key and reloads sshd: the old key is gone from the server
//   show   the public half of the key sshd uses now
// Each is safe to repeat, and a power cut between the two renames is finished by the next swap.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';

const KEY = '/etc/ssh/ssh_host_ed25519_key';
const NEXT = '/etc/ssh/firstboot_next_ed25519_key';

/** the public key as sshd derives it from the private file, without the comment */
const publicOf = (path: string) =>
  execFileSync('ssh-keygen', ['-y', '-f', path], { encoding: 'utf8' }).trim().split(/\s+/).slice(0, 2).join(' ');

/** `action`: new, swap or show (main checks it). */
export function hostKey(action: string): string {
  if (action === 'new') {
    if (!existsSync(NEXT) || !existsSync(`${NEXT}.pub`)) {
      rmSync(NEXT, { force: true });
      rmSync(`${NEXT}.pub`, { force: true });
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', NEXT]);
    }
    return publicOf(NEXT);
  }
  if (action === 'swap') {
    if (existsSync(NEXT)) {
      renameSync(NEXT, KEY);
      // sshd reads host keys when it starts: a reload (a re-exec) takes the new one; with a socket that
      // starts one sshd per connection there is nothing to reload
      execFileSync('systemctl', ['try-reload-or-restart', 'ssh.service']);
    }
    if (existsSync(`${NEXT}.pub`)) renameSync(`${NEXT}.pub`, `${KEY}.pub`);
    return publicOf(KEY);
  }
  return publicOf(KEY);
}
