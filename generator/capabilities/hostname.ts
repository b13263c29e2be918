// The hostname, only when the config sets one: otherwise cloud-init's from Hetzner's metadata stays.
import type { Capability } from './capability';
import { optional } from '../config/dsl';
import { hostName } from '../config/kinds';

export const hostnameField = optional(
  hostName({
    doc:
      "The server's hostname, set in /etc/hostname and /etc/hosts, kept across reboots (cloud-init would " +
      "otherwise set it back from Hetzner's metadata).",
    defaultText: 'the name Hetzner gives the server (its server name)',
  }),
);

export const hostname: Capability<'hostname'> = {
  id: 'hostname',
  plan: ({ config }) => (config.hostname !== undefined ? { id: 'hostname', hostname: config.hostname } : undefined),
};
