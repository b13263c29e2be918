// Empty passwords never log in: no `nullok` on pam_unix in /etc/pam.d/common-auth. A password set
// later must pass pam_pwquality (its package enables it in common-password through pam-auth-update;
// the step puts it back the same way if it is gone).
//
// Debian generates common-auth with pam-auth-update from /usr/share/pam-configs. We edit common-auth
// itself, removing only the `nullok` word: pam-auth-update records a removed module option as a local
// change and re-applies it on every later run (diff_profiles / merge_one_line), so the file stays
// managed and nullok stays out. Editing /usr/share/pam-configs/unix would not last (libpam-runtime
// owns it, not as a conffile: an upgrade restores nullok and regenerates common-auth), and a copied
// profile with `Conflicts: unix` would freeze the distribution's other pam_unix options. No header
// comment: a line pam-auth-update did not write inside its block makes it stop managing the file.
import type { Step } from '../step';
import type { Fs } from '../lib/fs';
import { writeFile } from '../lib/files';

const COMMON_AUTH = '/etc/pam.d/common-auth';
const NULLOK = /[ \t]+nullok(?=\s|$)/g;

const isPamUnix = (line: string) => !line.trimStart().startsWith('#') && /\bpam_unix\.so\b/.test(line);
const withoutNullok = (line: string) => (isPamUnix(line) ? line.replace(NULLOK, '') : line);
const allowsEmpty = (line: string) => withoutNullok(line) !== line;

async function nullokDrift(fs: Fs): Promise<string[]> {
  const text = await fs.read(COMMON_AUTH);
  return text?.split('\n').some(allowsEmpty) ? [`pam_unix in ${COMMON_AUTH} lets accounts with an empty password log in (nullok)`] : [];
}

const COMMON_PASSWORD = '/etc/pam.d/common-password';
const checksStrength = (text = '') => text.split('\n').some((line) => !line.trimStart().startsWith('#') && /\bpam_pwquality\.so\b/.test(line));

async function drift(fs: Fs): Promise<string[]> {
  const weak = checksStrength(await fs.read(COMMON_PASSWORD)) ? [] : [`${COMMON_PASSWORD} does not check new passwords' strength (pam_pwquality)`];
  return [...(await nullokDrift(fs)), ...weak];
}

export const pam: Step<'pam'> = {
  id: 'pam',
  title: 'PAM without nullok',
  after: ['packages'], // libpam-pwquality
  check: ({ fs }) => drift(fs),
  async apply({ fs, $ }) {
    if (!checksStrength(await fs.read(COMMON_PASSWORD))) await $`pam-auth-update --package --enable pwquality`;
    const text = await fs.read(COMMON_AUTH);
    const stat = await fs.stat(COMMON_AUTH);
    if (text === undefined || !stat) return;
    await writeFile(fs, { path: COMMON_AUTH, content: text.split('\n').map(withoutNullok).join('\n'), mode: stat.mode, owner: stat.owner });
  },
  // PAM has no tool that prints its effective stack: the files are what every service includes
  verify: ({ fs }) => drift(fs),
};
