// What costs what in a config's user-data: each optional capability and each kind of admin key,
// measured by rendering without it. For the over-limit error, `validate` and `npm run size`.
import { stepOf, type Plan } from '../contract/plan';
import { parseSshPublicKey } from './config/ssh-key';
import { assemble, byteLength, USER_DATA_LIMIT, type Part, type RenderOptions } from './render';

/** Steps every plan has: nothing to turn off there. */
const CORE = new Set(['packages', 'timezone', 'admin', 'ssh', 'firewall', 'pam']);

export interface Cost {
  /** "fail2ban", or a key kind such as "RSA-4096 key" */
  name: string;
  count?: number;
  bytes: number;
}

export interface SizeBreakdown {
  bytes: number;
  limit: number;
  parts: Part[];
  /** the optional capabilities this plan has, by what leaving each out saves */
  capabilities: Cost[];
  /** the admin's keys by kind, by what leaving them out saves */
  keys: Cost[];
}

function keyKind(line: string): string {
  const parsed = parseSshPublicKey(line);
  if (!parsed.ok) return 'other key';
  const { type, bits } = parsed.key;
  return type === 'ssh-rsa' ? `RSA-${bits} key` : `${type.replace(/^ssh-/, '')} key`;
}

export function sizeBreakdown(plan: Plan, options: RenderOptions = {}): SizeBreakdown {
  const size = (p: Plan) => byteLength(assemble(p, options).userData);
  const { userData, parts } = assemble(plan, options);
  const bytes = byteLength(userData);
  const without = (keep: (step: Plan['steps'][number]) => Plan['steps'][number] | undefined): number =>
    bytes - size({ ...plan, steps: plan.steps.flatMap((s) => keep(s) ?? []) });

  const capabilities = plan.steps
    .filter((s) => !CORE.has(s.id))
    .map((s) => ({ name: s.id, bytes: without((t) => (t === s ? undefined : t)) }));

  const admin = stepOf(plan, 'admin');
  const kinds = new Map<string, number>();
  for (const key of admin?.keys ?? []) kinds.set(keyKind(key), (kinds.get(keyKind(key)) ?? 0) + 1);
  const keys = [...kinds].map(([name, count]) => ({
    name,
    count,
    bytes: without((s) => (s.id === 'admin' ? { ...s, keys: s.keys.filter((k) => keyKind(k) !== name) } : s)),
  }));

  const bySize = (a: Cost, b: Cost) => b.bytes - a.bytes;
  return { bytes, limit: USER_DATA_LIMIT, parts, capabilities: capabilities.sort(bySize), keys: keys.sort(bySize) };
}

const n = (value: number) => value.toLocaleString('en-US');

/**
 * What `firstboot create` adds to the user-data: an ed25519 host key pair the size ssh-keygen makes
 * (only the length matters: it stands in the YAML as it is), and with it the metadata step.
 */
export const HOST_KEY_STAND_IN = {
  private:
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${`${'A'.repeat(70)}\n`.repeat(4)}${'A'.repeat(48)}\n` +
    `-----END OPENSSH PRIVATE KEY-----\n`,
  public: `ssh-ed25519 ${'A'.repeat(68)} server-name`,
};

/** One line: how much of the limit the user-data takes, and what `create` leaves. */
export function roomText(bytes: number, withHostKey: number): string {
  const left = (b: number) =>
    b <= USER_DATA_LIMIT ? `${n(USER_DATA_LIMIT - b)} left` : `${n(b - USER_DATA_LIMIT)} over`;
  return (
    `user-data: ${n(bytes)} bytes of ${n(USER_DATA_LIMIT)}, ${left(bytes)} ` +
    `(${left(withHostKey)} with the host key firstboot create adds)`
  );
}

/** The lines that say where the bytes go and what would make room. */
export function costText(breakdown: SizeBreakdown): string {
  const row = (label: string, bytes: number) => `  ${label.padEnd(26)} ${n(bytes).padStart(6)}`;
  const lines = ['what costs what in this config (bytes saved by leaving it out):'];
  for (const c of breakdown.capabilities) lines.push(row(`capability ${c.name}`, c.bytes));
  for (const k of breakdown.keys) lines.push(row(`${k.count} ${k.name}${k.count === 1 ? '' : 's'}`, k.bytes));
  return lines.join('\n');
}

/** For a config too large to carry firstboot's pieces inside: the two places the server can fetch them from. */
export const piecesAdvice = (
  version: string,
  registry: string,
) => `to fit, let the server fetch firstboot's own pieces instead of carrying them (the
user-data keeps what keeps you able to log in; the rest is checked against one digest):
  --pieces-from npm   the firstboot ${version} package from ${registry}
                      (this version must be published there)
  --pieces-from URL   an https address holding the file firstboot pieces --out DIR writes`;
