// Port specs as firstboot.yaml writes them ("443/tcp", "8000:8100/tcp", mosh's "60000:60010").
// Shared by the options' fields (below), the cross-option rules and the plan.

import { integer, map, string } from './dsl';
import { expectAllow, expectRange, mustBe, portOutOfRange, rangeOrder } from './messages';

export type Proto = 'tcp' | 'udp';
export interface PortRange {
  from: number;
  to: number;
}
export interface AllowRule extends PortRange {
  proto: Proto;
}

const RANGE = /^(\d{1,5})(?::(\d{1,5}))?$/;

/** "443" or "8000:8100"; undefined when malformed. Bounds are checked by portProblem. */
export function parseRange(text: string): PortRange | undefined {
  const m = RANGE.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  return { from, to: m[2] === undefined ? from : Number(m[2]) };
}

export function parseAllow(text: string): AllowRule | undefined {
  const m = /^([^/]+)\/(tcp|udp)$/.exec(text);
  const range = m ? parseRange(m[1]) : undefined;
  return range && { ...range, proto: m![2] as Proto };
}

export function overlaps(a: PortRange, b: PortRange): boolean {
  return a.from <= b.to && b.from <= a.to;
}

export function rangeText({ from, to }: PortRange): string {
  return from === to ? String(from) : `${from}:${to}`;
}

/** Ports within 1-65535 and, for "FROM:TO" (written as a range), FROM below TO. */
export function rangeProblem({ from, to }: PortRange, writtenAsRange: boolean): string | undefined {
  for (const port of [from, to]) if (port < 1 || port > 65535) return portOutOfRange(port);
  return writtenAsRange && from >= to ? rangeOrder(from, to) : undefined;
}

/** A port number, 1 to 65535 */
export const portNumber = (opts: { doc: string; default: number }) => integer({ ...opts, min: 1, max: 65535 });

function allowProblem(text: string): string | undefined {
  const rule = parseAllow(text);
  return rule ? rangeProblem(rule, text.includes(':')) : mustBe(expectAllow, text);
}

/** "8000:8100/tcp" to { port: "8000:8100", proto: "tcp" }, the shape ufw rules take. */
function toRule(text: string): { port: string; proto: Proto } {
  const rule = parseAllow(text)!;
  return { port: rangeText(rule), proto: rule.proto };
}

/** A list item "PORT/PROTO" or "FROM:TO/PROTO", handed on as a rule's port and proto. */
export const allowedPort = () =>
  map(
    string({ doc: '', expect: expectAllow, pattern: /^\d{1,5}(:\d{1,5})?\/(tcp|udp)$/, check: allowProblem }),
    toRule,
  );

function udpRangeProblem(text: string): string | undefined {
  const range = parseRange(text);
  if (!range || !text.includes(':')) return mustBe(expectRange, text);
  return rangeProblem(range, true);
}

/** A UDP port range "FROM:TO", FROM below TO */
export const udpRange = (opts: { doc: string; default: string }) =>
  string({ ...opts, expect: expectRange, pattern: /^\d{1,5}:\d{1,5}$/, check: udpRangeProblem });
