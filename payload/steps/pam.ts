// Empty passwords never log in: no `nullok` on pam_unix in /etc/pam.d/common-auth.
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

export const pam: Step<'pam'> = {
  id: 'pam',
  title: 'PAM without nullok',
  after: [],
  check: ({ fs }) => nullokDrift(fs),
  async apply({ fs }) {
    const text = (await fs.read(COMMON_AUTH))!;
    const stat = (await fs.stat(COMMON_AUTH))!;
    const content = text.split('\n').map(withoutNullok).join('\n');
    await writeFile(fs, { path: COMMON_AUTH, content, mode: stat.mode, owner: stat.owner });
  },
  // PAM has no tool that prints its effective stack: the file is what every service includes
  verify: ({ fs }) => nullokDrift(fs),
};
