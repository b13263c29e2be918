// IPv4 and IPv6 addresses as numbers, for the questions GeoIP's guard asks: is this address in one of
// these ranges, and which network is this address on.
import { isIP } from 'node:net';

export interface Address {
  v6: boolean;
  value: bigint;
}

export interface Range {
  v6: boolean;
  from: bigint;
  to: bigint;
}

/** "203.0.113.7", "2001:db8::1", "[::ffff:203.0.113.7]" (a v4 client on a v6 socket is v4) */
export function parseAddress(text: string): Address | undefined {
  let a = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  a = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a)?.[1] ?? a;
  const family = isIP(a);
  if (family === 4) return { v6: false, value: a.split('.').reduce((n, part) => (n << 8n) + BigInt(part), 0n) };
  if (family !== 6) return undefined;
  const [head, tail] = a.split('::');
  const words = (part: string) => (part ? part.split(':') : []).flatMap((w) => (w.includes('.') ? v4Words(w) : [w]));
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return { v6: true, value: groups.reduce((n, g) => (n << 16n) + BigInt(`0x${g}`), 0n) };
}

const v4Words = (v4: string) => {
  const n = Number(parseAddress(v4)!.value);
  return [(n >>> 16).toString(16), (n & 0xffff).toString(16)];
};

const bits = (v6: boolean) => (v6 ? 128n : 32n);

/** "a-b", "a/len" or "a" */
export function parseRange(text: string): Range | undefined {
  const [from, to] = text.split('-');
  if (to !== undefined) {
    const [a, b] = [parseAddress(from), parseAddress(to)];
    return a && b && a.v6 === b.v6 ? { v6: a.v6, from: a.value, to: b.value } : undefined;
  }
  const [address, length] = text.split('/');
  const a = parseAddress(address);
  if (!a) return undefined;
  const host = length === undefined ? 0n : bits(a.v6) - BigInt(length);
  const size = (1n << host) - 1n;
  return { v6: a.v6, from: a.value & ~size, to: a.value | size };
}

export function covered(ranges: Range[], address: Address): boolean {
  return ranges.some((r) => r.v6 === address.v6 && r.from <= address.value && address.value <= r.to);
}

/** an address back to text nftables takes (IPv6 in full, which it accepts as well as the short form) */
export function addressText({ v6, value }: Address): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
}

/** the network "address/length" an interface address is on, host bits cleared */
export function networkOf(address: Address, length: number): string {
  const host = bits(address.v6) - BigInt(length);
  return `${addressText({ v6: address.v6, value: (address.value >> host) << host })}/${length}`;
}

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'].map((r) => parseRange(r)!);

/** RFC 1918 and IPv6 unique local addresses: a network the server is attached to, not the Internet */
export const isPrivate = (address: Address) => covered(PRIVATE, address);

const LOOPBACK = ['127.0.0.0/8', '::1'].map((r) => parseRange(r)!);

/** the server talking to itself (`nc 127.0.0.1 22`): never someone's way in from outside */
export const isLoopback = (address: Address) => covered(LOOPBACK, address);
