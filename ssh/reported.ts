// What a server reports that firstboot writes into the owner's own files (known_hosts, ~/.ssh/config).
// The server is not trusted with those files: a name like "github.com,*" in known_hosts would trust its
// key for every host, and a space or a newline in a HostName line would break or extend the ssh config.
// So each reported string must have a strict form first; anything else is refused and nothing written.
import { KEY_TYPES } from '../contract/ssh-key-types';
import { Fail } from '../contract/fail';

const shown = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

/**
 * The node's name in its tailnet, as `tailscale status` gives it (web1.example-tailnet.ts.net): a DNS
 * name of two labels or more, each 1-63 letters, digits and inner hyphens, 253 characters at most.
 */
export function tailnetName(text: string): string {
  const labels = text.split('.');
  const ok =
    text.length <= 253 &&
    labels.length >= 2 &&
    labels.every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
  if (!ok)
    throw new Fail(
      `the server reported ${shown(text)} as its tailnet name, which is not a DNS name (letters, digits, ` +
        `hyphens and dots); nothing was written to known_hosts or the ssh config`,
    );
  return text;
}

/**
 * A public host key as "TYPE BASE64" (a comment after it is dropped): a known type, and a base64 blob
 * that is an SSH key of that very type (the blob starts with the type's name). `types` narrows the types.
 */
export function hostKey(text: string, types: readonly string[] = KEY_TYPES): string {
  const [type = '', blob = ''] = text.trim().split(/[ \t]+/);
  const wire = /^[A-Za-z0-9+/]+={0,2}$/.test(blob) ? Buffer.from(blob, 'base64') : Buffer.alloc(0);
  const named =
    wire.length > 4 + type.length &&
    wire.readUInt32BE(0) === type.length &&
    wire.subarray(4, 4 + type.length).toString('latin1') === type;
  if (!types.includes(type) || !named || /[\r\n]/.test(text.trim())) {
    throw new Fail(
      `the server reported ${shown(text)} as its host key, which is not a ${types.join(', ')} key in ` +
        `base64; nothing was written to known_hosts`,
    );
  }
  return `${type} ${blob}`;
}
