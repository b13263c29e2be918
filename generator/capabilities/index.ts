// Every capability the generator knows, in the order their steps run. The packages step comes first
// and is made from the others' needs (../plan.ts); the payload's registry is payload/steps/index.ts.
import type { Capability } from './capability';
import { metadata } from './metadata';
import { hostname } from './hostname';
import { timezone } from './timezone';
import { admin } from './admin';
import { ssh } from './ssh';
import { firewall } from './firewall';
import { fail2ban } from './fail2ban';
import { audit } from './audit';
import { sysctl } from './sysctl';
import { pam } from './pam';
import { baseline } from './baseline';
import { upgrades } from './upgrades';
import { report } from './report';
import { devtools } from './devtools';
import { geoip } from './geoip';
import { tailscale } from './tailscale';
import { extras } from './packages';

export const capabilities: Capability<any>[] = [
  metadata,
  hostname,
  timezone,
  admin,
  ssh,
  firewall,
  fail2ban,
  audit,
  sysctl,
  pam,
  baseline,
  upgrades,
  geoip,
  tailscale,
  report,
  devtools,
  extras,
];
