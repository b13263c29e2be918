// Port specs as firstboot.yaml writes them ("443/tcp", "8000:8100/tcp", mosh's "60000:60010").
// Shared by the schema checks, the cross-option rules and the plan.

import { portOutOfRange, rangeOrder } from './messages';

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
