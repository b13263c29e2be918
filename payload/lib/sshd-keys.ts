// sshd's host keys and Diffie-Hellman groups, held to the plan's strength (the ssh step's): keys of other
// types go, missing ones are made, RSA below the minimum is made anew; moduli below it are dropped.
import type { SshPlan } from '../../contract/plan';
import type { Ctx } from '../step';
import { writeFile } from './files';
import { once } from './once';

type Ssh = Ctx<SshPlan>;

export const KEY_DIR = '/etc/ssh';
const MODULI = '/etc/ssh/moduli';

interface BadKey {
  path: string;
  type: string;
  why: string;
}

/** Host keys that should not be there, are missing, or are too short. */
export async function badHostKeys({ params, fs, $ }: Ssh): Promise<BadKey[]> {
  const bad: BadKey[] = [];
  for (const name of await fs.list(KEY_DIR)) {
    const type = name.match(/^ssh_host_(\w+)_key$/)?.[1];
    if (type && !params.hostKeys.includes(type as 'rsa'))
      bad.push({ path: `${KEY_DIR}/${name}`, type, why: `is a ${type} host key` });
  }
  for (const type of params.hostKeys) {
    const path = `${KEY_DIR}/ssh_host_${type}_key`;
    if (!(await fs.stat(path))) bad.push({ path, type, why: 'is missing' });
    else if (type === 'rsa') {
      // measured once a run for each key: a key made anew is another text, measured again
      const pub = `${path}.pub`;
      const bits = await once($, `bits ${await fs.read(pub)}`, async () =>
        Number((await $`ssh-keygen -lf ${pub}`).stdout.split(' ')[0]),
      );
      if (bits < params.minRsaBits)
        bad.push({ path, type, why: `has ${bits} bits, wants at least ${params.minRsaBits}` });
    }
  }
  return bad;
}

/** /etc/ssh/moduli without groups below the minimum (its size column is the bit count minus one). */
function strongModuli(text: string, minBits: number): string {
  return text
    .split('\n')
    .filter((line) => line.startsWith('#') || !line.trim() || Number(line.split(/\s+/)[4]) >= minBits - 1)
    .join('\n');
}

export async function moduliDrift({ params, fs }: Ssh): Promise<string[]> {
  const text = await fs.read(MODULI);
  return text !== undefined && strongModuli(text, params.minModulusBits) !== text
    ? [`${MODULI} has groups below ${params.minModulusBits} bits`]
    : [];
}

export async function fixHostKeys(ctx: Ssh): Promise<void> {
  for (const { path, type } of await badHostKeys(ctx)) {
    await ctx.fs.remove(path);
    await ctx.fs.remove(`${path}.pub`);
    if (ctx.params.hostKeys.includes(type as 'rsa')) {
      await ctx.$`ssh-keygen -q -t ${type} ${type === 'rsa' ? ['-b', '4096'] : []} -N ${''} -C ${''} -f ${path}`;
    }
  }
}

export async function fixModuli({ params, fs }: Ssh): Promise<void> {
  const moduli = await fs.read(MODULI);
  if (moduli !== undefined)
    await writeFile(fs, { path: MODULI, content: strongModuli(moduli, params.minModulusBits), mode: 0o644 });
}
