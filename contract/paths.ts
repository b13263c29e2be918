// Where firstboot keeps its files on the server: written by the user-data (and `apply`), read by the payload.
export const SERVER_PATHS = {
  /** the payload's pieces, prepare, and the npm packages fetched for them (node_modules/) */
  lib: '/usr/local/lib/firstboot',
  /** the plan and the payload as the user-data carries them; prepare unpacks them (generator/pack.ts) */
  packed: '/usr/local/lib/firstboot/payload.br94',
  prepare: '/usr/local/lib/firstboot/prepare',
  /** the command on root's PATH: `firstboot run | check | status` */
  command: '/usr/local/sbin/firstboot',
  unit: '/etc/systemd/system/firstboot.service',
  plan: '/var/lib/firstboot/plan.json',
  status: '/var/lib/firstboot/status.json',
  /** one root-only file per secret (0600 in a 0700 folder), put there over SSH by apply or create --wait */
  secrets: '/var/lib/firstboot/secrets',
  /** written after a successful run; the unit does not start while it exists */
  done: '/var/lib/firstboot/done',
  /**
   * the node's tailnet name, written once sshd answers there: apply logs in by it, and it is the Host
   * block's HostName once public SSH closed
   */
  tailnet: '/var/lib/firstboot/tailnet-name',
  /** the SSH_CONNECTION of the owner's login through the tailnet name (apply writes it over that login):
   * with ssh_via_tailnet_only, public SSH closes only once it names this node's tailnet address */
  tailnetLogin: '/var/lib/firstboot/tailnet-login',
} as const;

/**
 * The owner's address: where the last `apply` connected from (its SSH_CLIENT), or the admin's SSH login
 * GeoIP adopted; GeoIP blocking always lets it through.
 */
export const CLIENT_ADDRESS = '/var/lib/firstboot/client-address';
