// The hostname, only when the config sets one: otherwise cloud-init's from Hetzner's metadata stays.
import type { Capability } from './capability';

export const hostname: Capability<'hostname'> = {
  id: 'hostname',
  plan: ({ config }) => (config.hostname !== undefined ? { id: 'hostname', hostname: config.hostname } : undefined),
};
