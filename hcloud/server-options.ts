// What `create` and `image` both take: a config, and the type, place and image of the server that
// runs it (for `image`, the builder).
import { Fail } from '../contract/fail';
import type { Payload } from '../generator/render';
import type { HcloudClient } from './api/client';
import type { Labels } from './api/types';

export const defaults = { type: 'cx23', location: 'fsn1', image: 'ubuntu-24.04' } as const;

export interface ServerOptions {
  client: HcloudClient;
  name: string;
  /** firstboot.yaml; the built-in defaults when absent */
  config?: string;
  /** extra public key files for the admin (--ssh-key) */
  sshKeys?: string[];
  /** the built payload; dist/payload/ when absent (tests pass a stand-in) */
  payload?: Payload;
  /** the npm registry the server fetches the payload's pinned packages from */
  registry?: string;
  /** where the server fetches firstboot's pieces the user-data leaves out ("npm" or a base URL) */
  piecesFrom?: string;
  type?: string;
  location?: string;
  /** a system image name, or an image ID */
  image?: string;
  labels?: Labels;
  report?: (message: string) => void;
}

const LABEL_PART = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$/;

/**
 * What the API would refuse in a name or a label, checked before any call that changes something
 * (an SSH key upload, a firewall), so a typo leaves nothing behind. Hetzner's rules: a server name is
 * a hostname label of at most 63 characters; a label key is NAME or PREFIX/NAME, a value at most 63
 * characters of [A-Za-z0-9._-], alphanumeric at both ends, or empty.
 */
export function checkServerInput(name: string, labels: Labels = {}): void {
  if (!/^(?=.{1,63}$)[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name)) {
    throw new Fail(
      `"${name}" is not a server name Hetzner takes: 1 to 63 letters, digits, "." and "-", a letter or ` +
        `digit at both ends`,
      2,
    );
  }
  for (const [key, value] of Object.entries(labels)) {
    const [prefix, keyName] = key.includes('/')
      ? [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)]
      : [undefined, key];
    if (!LABEL_PART.test(keyName) || (prefix !== undefined && !/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(prefix))) {
      throw new Fail(
        `label key "${key}" is not one Hetzner takes: NAME or PREFIX/NAME, NAME up to 63 letters, digits, ` +
          `".", "_" and "-"`,
        2,
      );
    }
    if (value !== '' && !LABEL_PART.test(value)) {
      throw new Fail(
        `label ${key}="${value}": a value is up to 63 letters, digits, ".", "_" and "-", a letter or ` +
          `digit at both ends`,
        2,
      );
    }
  }
}
