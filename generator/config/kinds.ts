// Field kinds the capabilities' sections share, built on the DSL (./dsl.ts): durations, host names, times
// of day, email and IP addresses, on/off switches and secrets. Port kinds are in ./ports.ts.
import { isIP } from 'node:net';
import { boolean, map, optional, string, type Field } from './dsl';
import * as msg from './messages';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A fail2ban duration ("30s", "10m", "1h", "1d", "1w") in seconds; fail2ban's own units for these letters. */
export function durationSeconds(text: string): number {
  const match = /^(\d+)([smhdw])$/.exec(text);
  if (!match) throw new Error(`not a duration: "${text}" (a whole number followed by s, m, h, d or w)`);
  return Number(match[1]) * UNIT_SECONDS[match[2]];
}

function durationProblem(text: string): string | undefined {
  let seconds: number;
  try {
    seconds = durationSeconds(text);
  } catch {
    return msg.mustBe(msg.expectDuration, text);
  }
  if (!Number.isFinite(seconds)) return msg.mustBe(msg.expectDuration, text);
  return seconds > 0 ? undefined : msg.durationZero(text);
}

/** A duration longer than zero, as durationSeconds reads it: "10m", "1h". */
export const duration = (doc: string, fallback: string) =>
  string({ doc, default: fallback, expect: msg.expectDuration, pattern: /^\d+[smhdw]$/, check: durationProblem });

function hostnameProblem(name: string): string | undefined {
  if (name !== name.toLowerCase() && !hostnameProblem(name.toLowerCase())) return msg.hostnameLowercase(name);
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
  if (name.length > 253 || !name.split('.').every((l) => label.test(l))) return msg.mustBe(msg.expectHostname, name);
  return undefined;
}

/** An RFC 1123 host name, lowercase: the server's own, or one it talks to. */
export const hostName = (opts: { doc: string; defaultText?: string }) =>
  string({
    ...opts,
    expect: msg.expectHostname,
    pattern: /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
    maxLength: 253,
    check: hostnameProblem,
  });

/** "HH:MM" in the server's time zone */
export const timeOfDay = (opts: { doc: string; default?: string }) =>
  string({ ...opts, expect: msg.expectTimeOfDay, pattern: /^([01]\d|2[0-3]):[0-5]\d$/ });

const EMAIL = /^[^\s@<>"]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

export const email = (opts: { doc: string; defaultText?: string }) =>
  string({ ...opts, expect: msg.expectEmail, pattern: EMAIL });

/** an IPv4 or IPv6 address, or a CIDR range of either */
function addressProblem(text: string): string | undefined {
  const [address, bits, extra] = text.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return msg.notAnAddress;
  if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)))
    return msg.badPrefix(family === 4 ? 32 : 128);
  return undefined;
}

export const address = (opts: { doc: string }) => string({ ...opts, expect: msg.expectAddress, check: addressProblem });

export const enabled = (what: string) => boolean({ doc: `Turn ${what} on or off.`, default: true });

/**
 * Where a capability needs a secret (a password, an auth key): the config names it, `secret:NAME`, and
 * the value is given when the CLI runs (--secret NAME=...). The parsed value is NAME.
 */
export function secret(opts: { doc: string }): Field<string | undefined> {
  const inner = string({
    doc: opts.doc,
    expect: msg.expectSecret,
    pattern: SECRET_REF,
    check: (v) => (SECRET_REF.test(v) ? undefined : msg.secretInConfig(v)),
  });
  return { ...optional(map(inner, (v) => v.slice('secret:'.length))), secret: true };
}

const SECRET_REF = /^secret:[a-z][a-z0-9_]{0,31}$/;
