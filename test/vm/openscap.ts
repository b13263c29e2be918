// OpenSCAP for `npm run bench:vm`: the SCAP Security Guide's Debian 12 content, profile ANSSI BP-028
// intermediary, as a company's compliance scan runs it. The content is Debian's ssg-debian 0.1.76
// (trixie's; bookworm's 0.1.65 has no Debian 12 content), fetched once from Debian's archive, pinned by
// the package's sha256 and the datastream's; the scanner is bookworm's openscap-scanner from the local
// repository. The guest reads the datastream from the host's repository server (python3 is on every
// image: cloud-init is written in it).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachePath, removeTree, run, sha256 } from './exec';
import { REPO_ADDRESS } from './image';
import type { Vm } from './vm';

const SSG = {
  deb: 'http://deb.debian.org/debian/pool/main/s/scap-security-guide/ssg-debian_0.1.76-1_all.deb',
  debSha256: 'f6880719015c16e8e221bc2503c0e5a9f83d6a09fc6f9292d3522e46bf4fc9d7',
  datastream: 'usr/share/xml/scap/ssg/content/ssg-debian12-ds.xml',
  datastreamSha256: 'ed594d33cfd38c6bbb91f2283fee7fe436641d1176861b67a474e11bf445062c',
};
const PROFILE = 'xccdf_org.ssgproject.content_profile_anssi_bp28_intermediary';
const RULE_PREFIX = 'xccdf_org.ssgproject.content_rule_';
/** where a VM's repository server serves the datastream's folder (VmOptions.served) */
export const SSG_PATH = '/ssg';

/** The folder holding the checked datastream, for VmOptions.served; downloads and unpacks it once. */
export async function ssgFolder(): Promise<string> {
  const dir = cachePath(`ssg-${SSG.datastreamSha256.slice(0, 12)}`);
  if (existsSync(join(dir, 'ds.xml'))) return dir;
  const res = await fetch(SSG.deb);
  if (!res.ok) throw new Error(`${SSG.deb}: HTTP ${res.status}`);
  const deb = Buffer.from(await res.arrayBuffer());
  if (sha256(deb) !== SSG.debSha256) throw new Error(`${SSG.deb} is not the pinned package (sha256 ${sha256(deb)})`);
  const tmp = `${dir}.tmp`;
  await removeTree(tmp);
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'ssg.deb'), deb);
  await run('dpkg-deb', ['-x', join(tmp, 'ssg.deb'), join(tmp, 'x')]);
  const ds = readFileSync(join(tmp, 'x', SSG.datastream));
  if (sha256(ds) !== SSG.datastreamSha256)
    throw new Error(`the datastream in ${SSG.deb} is not the pinned one (sha256 ${sha256(ds)})`);
  writeFileSync(join(tmp, 'ds.xml'), ds);
  await removeTree(join(tmp, 'x'));
  renameSync(tmp, dir);
  return dir;
}

export interface Scan {
  /** rule (without SSG's prefix) to its result: pass, fail, notapplicable, notchecked, error... */
  results: Map<string, string>;
  summary: string;
}

const SCAN = `set -e; apt-get -qq update; DEBIAN_FRONTEND=noninteractive apt-get -qq install -y openscap-scanner \
>/dev/null
python3 -c 'import urllib.request; urllib.request.urlretrieve("http://${REPO_ADDRESS}${SSG_PATH}/ds.xml", \
"/root/ssg-ds.xml")'
oscap xccdf eval --profile ${PROFILE} /root/ssg-ds.xml 2>/dev/null || true`;

/** Runs the profile on the guest as root (through sudo when `user` is not root). */
export async function openscap(vm: Vm, user: string, port: number, key: string): Promise<Scan> {
  const r = await vm.ssh(user, `sudo -n sh -c '${SCAN.replace(/'/g, `'"'"'`)}'`, { port, key, timeoutMs: 60 * 60_000 });
  const results = new Map<string, string>();
  let rule = '';
  for (const line of r.stdout.split('\n')) {
    const [field, ...rest] = line.trim().split(/\s+/);
    if (field === 'Rule') rule = rest.join(' ').replace(RULE_PREFIX, '');
    if (field === 'Result' && rule) results.set(rule, rest.join(' '));
  }
  if (results.size === 0) throw new Error(`oscap gave no results (exit ${r.code}): ${r.stderr.trim().slice(-500)}`);
  const count = (result: string) => [...results.values()].filter((v) => v === result).length;
  const [pass, fail] = [count('pass'), count('fail')];
  const others = [...new Set(results.values())]
    .filter((v) => v !== 'pass' && v !== 'fail')
    .map((v) => `${count(v)} ${v}`);
  const summary =
    `${pass} pass, ${fail} fail (${((100 * pass) / (pass + fail)).toFixed(0)}% of those that ` +
    `apply)${others.length ? `, ${others.join(', ')}` : ''}`;
  return { results, summary };
}

/** The rules whose result differs between two scans, as "rule: before -> after". */
export function changed(before: Scan, after: Scan): string[] {
  return [...after.results]
    .filter(([rule, result]) => before.results.get(rule) !== result)
    .map(([rule, result]) => `${rule}: ${before.results.get(rule) ?? 'absent'} -> ${result}`);
}
