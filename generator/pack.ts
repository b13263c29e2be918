// The one compressed text the user-data carries: the plan and the payload pieces it needs. Compressed
// together, the plan costs about a third less than on its own. cloud-init/prepare unpacks it.
//   {"firstboot": VERSION, "build": DIGEST, "plan": LENGTH, "files": {NAME: LENGTH, ...}}\n
//   PLAN JSON, then each file's text, in the header's order (lengths in UTF-16 units, as JS counts)
import { WAY_IN, type Plan } from '../contract/plan';
import { piecesDigest } from '../contract/pieces';

/** The payload as built (scripts/build.ts): its files, and which of them main, image and each step need. */
export interface Payload {
  /** every file the build wrote to dist/payload/, by its name there */
  files: Record<string, string>;
  pieces: Record<string, string[]>;
  /** cloud-init/unpack.js as built: what prepare runs to unpack the rest */
  unpack: string;
}

interface Header {
  firstboot: string;
  /**
   * which build the files come from (the start of its pieces' digest): unpacking the same build again
   * keeps the pieces fetched for it
   */
  build: string;
  plan: number;
  files: Record<string, number>;
}

const digests = new WeakMap<Payload['files'], string>();

/** The build's pieces digest (contract/pieces.ts), hashed once per payload however often it is packed. */
export function payloadDigest(payload: Payload): string {
  if (!digests.has(payload.files)) digests.set(payload.files, piecesDigest(payload.files));
  return digests.get(payload.files)!;
}

/**
 * What travels inside even when the plan names a source for the rest: the runner (with the fetcher),
 * image mode's clean-up, the host key's replacement and the steps that keep the owner able to log in.
 * Whatever happens to the fetch, the server comes up hardened and reachable on its SSH port.
 */
export const ALWAYS_INSIDE = new Set<string>(['main', 'pieces', 'image', 'host-key', ...WAY_IN]);

/**
 * The runner, the steps this plan has, image mode's clean-up when it is one, the host key's
 * replacement when the user-data carries one (the metadata step guards exactly that), and the
 * report command when the plan has a report; nothing else. With a source for the pieces (plan.pieces),
 * only those of ALWAYS_INSIDE: the server fetches the rest.
 */
export function pack(payload: Payload, plan: Plan): string {
  const piece = (id: string) => {
    if (!payload.pieces[id]) throw new Error(`the payload build has no piece "${id}"; run npm run build`);
    return payload.pieces[id];
  };
  const hostKey = plan.steps.some((step) => step.id === 'metadata');
  const report = plan.steps.some((step) => step.id === 'report');
  const ids = [
    'main',
    ...(plan.pieces ? ['pieces'] : []),
    ...(plan.mode === 'image' ? ['image'] : []),
    ...(hostKey ? ['host-key'] : []),
    ...(report ? ['daily-report'] : []),
    ...plan.steps.map((step) => step.id),
  ];
  // smallest first: brotli packs them tighter so (46 bytes on the example config, measured)
  const names = [...new Set(ids.filter((id) => !plan.pieces || ALWAYS_INSIDE.has(id)).flatMap(piece))].sort(
    (a, b) => payload.files[a].length - payload.files[b].length || a.localeCompare(b),
  );
  const planText = JSON.stringify(plan) + '\n';
  const header: Header = {
    firstboot: plan.firstboot,
    build: payloadDigest(payload).slice(7, 31),
    plan: planText.length,
    files: Object.fromEntries(names.map((n) => [n, payload.files[n].length])),
  };
  return JSON.stringify(header) + '\n' + planText + names.map((name) => payload.files[name]).join('');
}

/** What `pack` wrote, or an Error saying how the text is not that. */
export function unpack(text: string): { firstboot: string; plan: Plan; files: Record<string, string> } {
  const end = text.indexOf('\n');
  let header: Header;
  try {
    header = JSON.parse(text.slice(0, end)) as Header;
  } catch {
    throw new Error('its header line is not JSON');
  }
  const lengths = [header?.plan, ...Object.values(header?.files ?? {})];
  if (typeof header?.firstboot !== 'string' || !lengths.every((n) => Number.isInteger(n) && n >= 0))
    throw new Error('its header line is not the one firstboot writes');
  const total = lengths.reduce((sum, n) => sum + n, 0);
  if (end + 1 + total !== text.length)
    throw new Error(`its header announces ${total} characters after it, and ${text.length - end - 1} follow`);
  let at = end + 1;
  const take = (length: number) => text.slice(at, (at += length));
  let plan: Plan;
  try {
    plan = JSON.parse(take(header.plan)) as Plan;
  } catch {
    throw new Error('its plan is not JSON');
  }
  const files = Object.fromEntries(Object.entries(header.files).map(([name, length]) => [name, take(length)]));
  return { firstboot: header.firstboot, plan, files };
}
