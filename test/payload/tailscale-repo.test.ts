// The Tailscale stand-in the VM tests install (test/vm/tailscale.ts), checked on the host with the real tools:
// apt takes the repository signed by the pinned key and refuses the copy signed by another; openpgp.ts reads the
// key's fingerprint as gpg does; the package's scripts pass shellcheck. Its CLI is in tailscale-standin.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { primaryFingerprints } from '../../payload/lib/openpgp';
import { aptSource, KEYRING } from '../../payload/steps/tailscale';
import { serveRepo, type Served } from '../vm/repo';
import { STANDIN_ARCHES, STANDIN_FILES, STANDIN_VERSION } from '../vm/tailscale-package';
import { tailscaleRepo, type TailscaleRepo } from '../vm/tailscale';
import { missing, needs } from '../needs';
import { type Result, exec } from './exec-async';

const tmp = mkdtempSync(join(tmpdir(), 'firstboot-tailscale-repo-'));
let repo: TailscaleRepo;
let served: Served;

const keyFile = (root: string, suite = 'bookworm') => join(root, 'debian', `${suite}.noarmor.gpg`);

/** what gpg says the file's primary key is */
async function gpgFingerprint(file: string): Promise<string | undefined> {
  const home = join(tmp, 'gnupg');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const out = await exec('gpg', ['--homedir', home, '--batch', '--with-colons', '--show-keys', file]);
  return out.stdout.match(/^pub:.*\nfpr:+([0-9A-F]{40}):/m)?.[1];
}

/**
 * The real apt in a folder of its own: nothing of the host's configuration, sources, keys, lists or dpkg status
 * (APT_CONFIG comes first and points every other part into the folder). The sources line is the payload's, with
 * its keyring path swapped for `keyring`.
 */
function isolatedApt(
  name: string,
  repository: string,
  keyring: string,
  arch = 'amd64',
): (cmd: string, ...args: string[]) => Promise<Result> {
  const dir = join(tmp, name);
  for (const sub of [
    'apt.conf.d',
    'sources.list.d',
    'preferences.d',
    'trusted.gpg.d',
    'state/lists/partial',
    'cache/archives/partial',
    'log',
  ]) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  writeFileSync(join(dir, 'status'), '');
  const lines = ['bookworm', 'trixie'].map((suite) => aptSource(repository, 'debian', suite).replace(KEYRING, keyring));
  writeFileSync(join(dir, 'sources.list'), lines.join(''));
  writeFileSync(
    join(dir, 'apt.conf'),
    `Dir::Etc::main "/dev/null";
Dir::Etc::parts "${dir}/apt.conf.d";
Dir::Etc::sourcelist "${dir}/sources.list";
Dir::Etc::sourceparts "${dir}/sources.list.d";
Dir::Etc::preferences "${dir}/preferences";
Dir::Etc::preferencesparts "${dir}/preferences.d";
Dir::Etc::trusted "${dir}/trusted.gpg";
Dir::Etc::trustedparts "${dir}/trusted.gpg.d";
Dir::State "${dir}/state";
Dir::State::status "${dir}/status";
Dir::Cache "${dir}/cache";
Dir::Log "${dir}/log";
APT::Architecture "${arch}";
APT::Architectures { "${arch}"; };
Acquire::Languages "none";
Acquire::http::Proxy::127.0.0.1 "DIRECT";
APT::Sandbox::User "root";
Debug::NoLocking "true";
`,
  );
  return (cmd, ...args) =>
    exec(cmd, ['-q', ...args], { env: { ...process.env, APT_CONFIG: join(dir, 'apt.conf') }, cwd: dir });
}

// gpg signs the repository: without it there is none, and each test fails on needs() (a throw in test.before
// would stop the whole run)
test.before.each(() => {
  needs('gpg', 'gpg');
  needs('gpg-agent', 'gpg-agent');
});
test.before(async () => {
  if (missing('gpg', 'gpg') || missing('gpg-agent', 'gpg-agent')) return;
  repo = await tailscaleRepo();
  mkdirSync(join(tmp, 'empty'));
  served = await serveRepo({ '/': join(tmp, 'empty'), '/tailscale/': repo.root, '/tailscale-wrong/': repo.wrong });
});

test.after(async () => {
  await served?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test(
  "openpgp.ts reads the repository key's fingerprint as gpg does: " +
    'the one tailscaleRepo() pins, the same for every suite and the wrong copy',
  async () => {
    assert.match(repo.fingerprint, /^[0-9A-F]{40}$/);
    const key = readFileSync(keyFile(repo.root));
    assert.equal(primaryFingerprints(key), [repo.fingerprint]);
    assert.is(await gpgFingerprint(keyFile(repo.root)), repo.fingerprint);
    for (const file of [keyFile(repo.root, 'trixie'), keyFile(repo.wrong), keyFile(repo.wrong, 'trixie')])
      assert.ok(readFileSync(file).equals(key), file);
  },
);

test('another key has another fingerprint, which gpg agrees with; a cut or armored key file throws', async () => {
  const impostor = readFileSync(repo.impostor);
  const [found] = primaryFingerprints(impostor);
  assert.is.not(found, repo.fingerprint);
  assert.is(await gpgFingerprint(repo.impostor), found);
  const key = readFileSync(keyFile(repo.root));
  assert.throws(() => primaryFingerprints(key.subarray(0, key.length - 7)), /ends inside a packet/);
  assert.throws(
    () => primaryFingerprints(Buffer.from('-----BEGIN PGP PUBLIC KEY BLOCK-----\n')),
    /not an OpenPGP key file/,
  );
});

for (const arch of STANDIN_ARCHES) {
  const title = `apt on ${arch} takes the stand-in repository, signed by the pinned key, for bookworm and trixie`;
  test(`${title}, and its package for ${arch}`, async () => {
    const apt = isolatedApt(`good-${arch}`, `http://127.0.0.1:${served.port}/tailscale`, keyFile(repo.root), arch);
    const update = await apt('apt-get', 'update');
    assert.is(update.code, 0, update.stderr);
    assert.not.match(update.stderr, /^[WE]:/m);
    const policy = await apt('apt-cache', 'policy', 'tailscale');
    assert.match(policy.stdout, `Candidate: ${STANDIN_VERSION}`);
    assert.match(policy.stdout, `/tailscale/debian bookworm/main ${arch} Packages`);
    assert.match(policy.stdout, `/tailscale/debian trixie/main ${arch} Packages`);
    // the .deb by the index's hash, as apt-get install fetches it, and it is the package for that architecture
    const download = await apt('apt-get', 'download', 'tailscale');
    assert.is(download.code, 0, download.stderr);
    const deb = join(tmp, `good-${arch}`, `tailscale_${STANDIN_VERSION}_${arch}.deb`);
    assert.ok(existsSync(deb), readdirSync(join(tmp, `good-${arch}`)).join(' '));
    assert.is((await exec('dpkg-deb', ['-f', deb, 'Architecture'])).stdout.trim(), arch);
  });
}

test(
  'apt refuses the copy signed by another key, and takes it with that key: ' + 'the signature is all that is wrong',
  async () => {
    const wrong = isolatedApt('wrong', `http://127.0.0.1:${served.port}/tailscale-wrong`, keyFile(repo.wrong));
    const update = await wrong('apt-get', 'update');
    assert.is.not(update.code, 0);
    assert.match(update.stderr, /NO_PUBKEY|not signed/);
    assert.not.match((await wrong('apt-cache', 'policy', 'tailscale')).stdout, STANDIN_VERSION);

    const impostor = isolatedApt('impostor', `http://127.0.0.1:${served.port}/tailscale-wrong`, repo.impostor);
    const control = await impostor('apt-get', 'update');
    assert.is(control.code, 0, control.stderr);
    assert.match((await impostor('apt-cache', 'policy', 'tailscale')).stdout, `Candidate: ${STANDIN_VERSION}`);
  },
);

test(
  'the stand-in package: its fields, its files, ' + 'each saying it is not Tailscale, and scripts that pass shellcheck',
  async () => {
    needs('shellcheck', 'shellcheck');
    const deb = join(repo.root, 'debian', 'pool', `tailscale_${STANDIN_VERSION}_amd64.deb`);
    const fields = await exec('dpkg-deb', ['-f', deb, 'Package', 'Version', 'Architecture', 'Depends']);
    assert.is(
      fields.stdout,
      `Package: tailscale\nVersion: ${STANDIN_VERSION}\nArchitecture: amd64\nDepends: iproute2\n`,
    );
    const root = join(tmp, 'deb');
    assert.is((await exec('dpkg-deb', ['-x', deb, root])).code, 0);
    for (const [path, file] of Object.entries(STANDIN_FILES)) {
      assert.is(readFileSync(join(root, path), 'utf8'), file.content);
      assert.is(statSync(join(root, path)).mode & 0o777, file.mode, path);
      assert.match(file.content, /firstboot's test stand-in for [^,\n]+, NOT Tailscale/);
      if (file.mode & 0o100) {
        const syntax = await exec('sh', ['-n', join(root, path)]);
        assert.is(syntax.code, 0, syntax.stderr);
        const check = await exec('shellcheck', ['-s', 'sh', join(root, path)]);
        assert.is(check.code, 0, check.stdout);
      }
    }
  },
);

test.run();
