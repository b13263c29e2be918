// Every capability the payload knows, by plan step id.
import type { StepId } from '../../contract/plan';
import type { Step } from '../step';
import { packages, extras } from './packages';
import { hostname } from './hostname';
import { metadata } from './metadata';
import { timezone } from './timezone';
import { admin } from './admin';
import { ssh } from './ssh';
import { firewall } from './firewall';
import { fail2ban } from './fail2ban';
import { audit } from './audit';
import { sysctl } from './sysctl';
import { pam } from './pam';
import { upgrades } from './upgrades';

const all: Step<any>[] = [packages, metadata, hostname, timezone, admin, ssh, firewall, fail2ban, audit, sysctl, pam, upgrades, extras];

export const registry = new Map<StepId, Step>(all.map((step) => [step.id, step]));
