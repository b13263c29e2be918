// Stand-in until generator/policy/fail2ban.ts exports durationSeconds: one parser, not two.
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export function durationSeconds(text: string): number {
  const m = /^(\d+)([smhdw])$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT[m[2]];
}
