// Empty passwords never log in: no `nullok` on pam_unix in /etc/pam.d/common-auth. A password set
// later must pass pam_pwquality and its rules (PASSWORD_RULES), and each session gets a private
// temporary directory from pam_tmpdir (TMPDIR=/tmp/user/UID, mode 0700: no guessing or racing another
// user's temporary file names). Their packages enable them through pam-auth-update; the step puts
// them back the same way if they are gone.
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
import { filesDrift, withSettings, writeFile, writeFiles, type FileSpec } from '../lib/files';

const COMMON_AUTH = '/etc/pam.d/common-auth';
const PWQUALITY = '/etc/security/pwquality.conf';
/**
 * A password set on the server (passwd) has 15 characters or more, from all four classes: lower and
 * upper case letters, digits and others (ANSSI R68, the values of OpenSCAP's ANSSI profile, which reads
 * them in this file alone, not in pwquality.conf.d). root setting a password only gets a warning.
 */
const PASSWORD_RULES: [string, string][] = [
  ['minlen', '15'],
  ['minclass', '4'],
  ['dcredit', '-1'],
  ['ucredit', '-1'],
  ['lcredit', '-1'],
  ['ocredit', '-1'],
];

/** pwquality.conf with the rules set, when the package that reads it is installed */
async function pwqualityFile(fs: Fs): Promise<FileSpec[]> {
  const text = await fs.read(PWQUALITY);
  return text === undefined
    ? []
    : [
        {
          path: PWQUALITY,
          content: withSettings(text, PASSWORD_RULES, (key, value) => `${key} = ${value}`),
          mode: 0o644,
        },
      ];
}

const NULLOK = /[ \t]+nullok(?=\s|$)/g;

const isPamUnix = (line: string) => !line.trimStart().startsWith('#') && /\bpam_unix\.so\b/.test(line);
const withoutNullok = (line: string) => (isPamUnix(line) ? line.replace(NULLOK, '') : line);
const allowsEmpty = (line: string) => withoutNullok(line) !== line;

async function nullokDrift(fs: Fs): Promise<string[]> {
  const text = await fs.read(COMMON_AUTH);
  return text?.split('\n').some(allowsEmpty)
    ? [`pam_unix in ${COMMON_AUTH} lets accounts with an empty password log in (nullok)`]
    : [];
}

/** modules a package's pam-auth-update profile adds: the file it lands in, and what is lost without it */
const PROFILES = [
  {
    profile: 'pwquality',
    module: 'pam_pwquality',
    file: '/etc/pam.d/common-password',
    without: "does not check new passwords' strength",
  },
  {
    profile: 'tmpdir',
    module: 'pam_tmpdir',
    file: '/etc/pam.d/common-session',
    without: 'gives sessions no private temporary directory',
  },
];

const uses = (module: string, text = '') =>
  text.split('\n').some((line) => !line.trimStart().startsWith('#') && new RegExp(`\\b${module}\\.so\\b`).test(line));

async function missingProfiles(fs: Fs) {
  const missing = [];
  for (const p of PROFILES) if (!uses(p.module, await fs.read(p.file))) missing.push(p);
  return missing;
}

async function drift(fs: Fs): Promise<string[]> {
  return [
    ...(await nullokDrift(fs)),
    ...(await missingProfiles(fs)).map((p) => `${p.file} ${p.without} (${p.module})`),
    ...(await filesDrift(fs, await pwqualityFile(fs))),
  ];
}

export const pam: Step<'pam'> = {
  id: 'pam',
  after: ['packages'], // libpam-pwquality, libpam-tmpdir
  // the admin's password goes through chpasswd, whose PAM stack this step changes
  notBefore: ['admin'],
  check: ({ fs }) => drift(fs),
  async apply({ fs, $ }) {
    for (const { profile } of await missingProfiles(fs)) await $`pam-auth-update --package --enable ${profile}`;
    await writeFiles(fs, await pwqualityFile(fs));
    const text = await fs.read(COMMON_AUTH);
    const stat = await fs.stat(COMMON_AUTH);
    if (text === undefined || !stat) return;
    await writeFile(fs, {
      path: COMMON_AUTH,
      content: text.split('\n').map(withoutNullok).join('\n'),
      mode: stat.mode,
      owner: stat.owner,
    });
  },
  // PAM has no tool that prints its effective stack: the files are what every service includes
  verify: ({ fs }) => drift(fs),
};
