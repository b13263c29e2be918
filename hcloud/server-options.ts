// What `create` and `image` both take: a config, and the type, place and image of the server that
// runs it (for `image`, the builder).
import type { Payload } from '../generator/render';
import type { HcloudClient } from './client';
import type { Labels } from './types';

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
  type?: string;
  location?: string;
  /** a system image name, or an image ID */
  image?: string;
  labels?: Labels;
  report?: (message: string) => void;
}
