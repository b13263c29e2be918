// Tailscale's stand-in for the VM tests: its packages and coordination server are out of reach here, so the
// test builds a signed apt repository laid out like pkgs.tailscale.com/stable whose `tailscale` package is
// ours: two shell scripts that "join" a tailnet by renaming the VM's second NIC (vm.ts `tailnet`) to
// tailscale0 with the node's address; a package per architecture, amd64 and arm64, as Tailscale's. A second copy
// of the repository is signed by another key, for apt to refuse.
// The package itself is in tailscale-package.ts.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cacheKey, cachePath, removeTree, run, sha256, since } from './exec';
import { control, STANDIN_ARCHES, STANDIN_FILES, STANDIN_VERSION } from './tailscale-package';

/** the Debian releases the repository has a suite for, as pkgs.tailscale.com names them */
const SUITES = ['bookworm', 'trixie'];
const KEY_UID = 'firstboot test repository <test@firstboot.invalid>';
const IMPOSTOR_UID = 'firstboot test impostor <impostor@firstboot.invalid>';

export interface TailscaleRepo {
  /**
   * laid out like pkgs.tailscale.com/stable: debian/<suite>.noarmor.gpg, debian/dists/<suite>/InRelease, debian/pool/
   */
  root: string;
  /** the key's fingerprint, uppercase hex, as a plan pins it */
  fingerprint: string;
  /** the same layout and .noarmor.gpg, but InRelease signed by another key: apt must refuse it */
  wrong: string;
  /** that other key's public key (binary), for tests of the fingerprint check */
  impostor: string;
}

/** Builds the stand-in repositories once (cached under what shapes them); a key pair costs about a second. */
export async function tailscaleRepo(): Promise<TailscaleRepo> {
  const controls = STANDIN_ARCHES.map(control);
  const inputs = { files: STANDIN_FILES, controls, suites: SUITES, uids: [KEY_UID, IMPOSTOR_UID] };
  const dir = cachePath(`tailscale-${cacheKey(inputs)}`);
  const done = () => ({
    root: join(dir, 'root'),
    wrong: join(dir, 'wrong'),
    impostor: join(dir, 'impostor.gpg'),
    fingerprint: readFileSync(join(dir, 'fingerprint'), 'utf8').trim(),
  });
  if (existsSync(join(dir, 'fingerprint'))) return done();

  const start = performance.now();
  const tmp = `${dir}.tmp`;
  await removeTree(tmp);
  mkdirSync(tmp);
  // a home of its own: the keys are the test's, and the agent it starts is stopped below
  const home = mkdtempSync(join(tmpdir(), 'firstboot-gpg-'));
  const gpg = (...args: string[]) => run('gpg', ['--homedir', home, '--batch', ...args]);
  try {
    const newKey = async (uid: string) => {
      await gpg('--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never');
      const fpr = (await gpg('--with-colons', '--list-keys', `=${uid}`)).match(/^fpr:+([0-9A-F]{40}):/m)?.[1];
      if (!fpr) throw new Error(`gpg made no key for ${uid}`);
      return fpr;
    };
    const key = await newKey(KEY_UID);
    const impostor = await newKey(IMPOSTOR_UID);
    await gpg('--output', join(tmp, 'key.gpg'), '--export', key);
    await gpg('--output', join(tmp, 'impostor.gpg'), '--export', impostor);
    const debs = [];
    for (const arch of STANDIN_ARCHES) debs.push(await buildDeb(home, arch));
    for (const [name, signer] of [
      ['root', key],
      ['wrong', impostor],
    ]) {
      await writeRepo(
        join(tmp, name, 'debian'),
        debs,
        readFileSync(join(tmp, 'key.gpg')),
        async (release, inRelease) => {
          await gpg(
            '--yes',
            '--local-user',
            signer,
            '--digest-algo',
            'SHA512',
            '--output',
            inRelease,
            '--clearsign',
            release,
          );
        },
      );
    }
    rmSync(join(tmp, 'key.gpg'));
    writeFileSync(join(tmp, 'fingerprint'), `${key}\n`);
  } finally {
    await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
  await removeTree(dir);
  renameSync(tmp, dir);
  console.log(`# tailscale stand-in repository built in ${since(start)}`);
  return done();
}

interface Deb {
  arch: string;
  /** the control file, to which the index adds where the package is */
  control: string;
  name: string;
  data: Buffer;
}

/** The stand-in .deb for `arch`, built in `work`. */
async function buildDeb(work: string, arch: (typeof STANDIN_ARCHES)[number]): Promise<Deb> {
  const root = join(work, `deb-${arch}`);
  for (const [path, file] of Object.entries({
    'DEBIAN/control': { mode: 0o644, content: control(arch) },
    ...STANDIN_FILES,
  })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), file.content);
    chmodSync(join(root, path), file.mode);
  }
  // dpkg-deb takes the folders' modes as they are, and mkdtemp's 0700 would land on the server's /
  await run('find', [root, '-type', 'd', '-exec', 'chmod', '0755', '{}', '+']);
  const name = `tailscale_${STANDIN_VERSION}_${arch}.deb`;
  await run('dpkg-deb', ['--root-owner-group', '--build', root, join(work, name)]);
  return { arch, control: control(arch), name, data: readFileSync(join(work, name)) };
}

/** One repository at `dir` (the URL's .../debian): a suite per release, all with the same packages and key. */
async function writeRepo(
  dir: string,
  debs: Deb[],
  key: Buffer,
  sign: (release: string, inRelease: string) => Promise<void>,
) {
  const write = (path: string, data: Buffer | string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  };
  const indexes: Record<string, Buffer> = {};
  for (const deb of debs) {
    write(`pool/${deb.name}`, deb.data);
    // the index by hand: the control file is ours, so dpkg-scanpackages would add nothing
    const where = `Filename: pool/${deb.name}\nSize: ${deb.data.length}\nSHA256: ${sha256(deb.data)}\n`;
    const packages = `${deb.control}${where}`;
    indexes[`main/binary-${deb.arch}/Packages`] = Buffer.from(packages);
    indexes[`main/binary-${deb.arch}/Packages.gz`] = gzipSync(packages);
  }
  for (const suite of SUITES) {
    write(`${suite}.noarmor.gpg`, key);
    for (const [path, data] of Object.entries(indexes)) write(`dists/${suite}/${path}`, data);
    const sums = Object.entries(indexes).map(([path, data]) => ` ${sha256(data)} ${data.length} ${path}`);
    const release = join(dir, `dists/${suite}/Release.unsigned`);
    writeFileSync(
      release,
      `Origin: firstboot-test\nLabel: Tailscale stand-in (firstboot test, not Tailscale)\nSuite: ${suite}\n` +
        `Codename: ${suite}\n` +
        `Date: ${new Date().toUTCString()}\nArchitectures: ${debs.map((deb) => deb.arch).join(' ')}\n` +
        `Components: main\nSHA256:\n${sums.join('\n')}\n`,
    );
    // InRelease only: no unsigned Release beside it for apt to fall back on
    await sign(release, join(dir, `dists/${suite}/InRelease`));
    rmSync(release);
  }
}
