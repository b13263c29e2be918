// `npm run release-check [-- REV]`: is this commit (HEAD, or REV) a release anyone can reproduce?
// Servers fetch firstboot's payload pieces from the published package and check them against the digest
// the generator pinned from its own build (contract/pieces.ts), so every build of a commit must give
// the same pieces and the same tarball. This clones HEAD twice into fresh folders, one under umask 077
// and one under 022, builds each (npm ci runs prepare), packs each, and compares the pieces' digest
// (over dist/payload/ as built, and as it is inside the tarball) and `npm pack`'s integrity; then
// `npm publish --dry-run` in the 077 clone, whose tarball must be the same again. Only npm's registry is
// reached (npm ci, when its cache lacks a package). Exit 0 when all agree, 1 with a sentence when
// anything differs or fails.
// Then a second phase: the commit proven on Hetzner's Arm servers, `npm run test:vm:arm64` in the 077 clone
// (root and the VM tools; half an hour or more under TCG). `-- --no-arm64` leaves it out and says so.
import { Fail } from '../contract/fail';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { piecesDigest, PIECES_FOLDER } from '../contract/pieces';

/** runs cmd under `umask`, in cwd; its stdout, or a Fail with the end of its stderr */
function run(cmd: string, args: string[], cwd: string, umask = '022'): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'umask "$0" && exec "$@"', umask, cmd, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => (stdout += data));
    child.stderr.on('data', (data) => (stderr += data));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve({ stdout, stderr });
      const tail = stderr.trim().split('\n').slice(-8).join('\n');
      reject(new Fail(`\`${cmd} ${args.join(' ')}\` failed (exit ${code}) in ${cwd}${tail ? `:\n${tail}` : ''}`));
    });
  });
}

/** every file under dir, by its name relative to dir */
async function filesUnder(dir: string): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path)] = await readFile(path);
  }
  return files;
}

/** `npm pack --json` prints a list, `npm publish --json` an object by name: the one package's report */
const report = (stdout: string, name: string): { id: string; integrity: string; shasum: string; files: unknown[] } => {
  const json = JSON.parse(stdout.slice(stdout.search(/^[[{]/m)));
  return Array.isArray(json) ? json[0] : json[name];
};

interface Build {
  umask: string;
  /** the package's name@version, as packed */
  id: string;
  name: string;
  digest: string;
  packedDigest: string;
  integrity: string;
  shasum: string;
  files: number;
  dir: string;
}

async function buildIn(tmp: string, source: string, head: string, umask: string): Promise<Build> {
  const dir = join(tmp, `clone-${umask}`);
  const packs = join(tmp, `pack-${umask}`);
  await run('git', ['clone', '-q', '--no-checkout', source, dir], tmp, umask);
  await run('git', ['fetch', '-q', source, head], dir, umask); // HEAD even when no branch holds it
  await run('git', ['checkout', '-q', '--detach', head], dir, umask);
  await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], dir, umask);
  await run('mkdir', [packs], tmp, umask);
  const { name } = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  const pack = report((await run('npm', ['pack', '--json', '--pack-destination', packs], dir, umask)).stdout, name);
  const [tarball] = await readdir(packs);
  await run('tar', ['-xzf', join(packs, tarball), '-C', packs], tmp, umask);
  return {
    umask,
    id: pack.id,
    name,
    digest: piecesDigest(await filesUnder(join(dir, PIECES_FOLDER))),
    packedDigest: piecesDigest(await filesUnder(join(packs, 'package', PIECES_FOLDER))),
    integrity: pack.integrity,
    shasum: pack.shasum,
    files: pack.files.length,
    dir,
  };
}

async function main(): Promise<number> {
  const started = Date.now();
  const cwd = process.cwd();
  const source = (await run('git', ['rev-parse', '--show-toplevel'], cwd)).stdout.trim();
  const args = process.argv.slice(2);
  const unknown = args.find((arg) => arg.startsWith('-') && arg !== '--no-arm64');
  if (unknown) {
    console.error(`release-check: unknown option ${unknown}; it takes a commit and --no-arm64`);
    return 2;
  }
  const arm64 = !args.includes('--no-arm64');
  const rev = args.find((arg) => !arg.startsWith('-')) ?? 'HEAD';
  const head = (await run('git', ['rev-parse', '--verify', `${rev}^{commit}`], source)).stdout.trim();
  const dirty = (await run('git', ['status', '--porcelain', '--untracked-files=no'], source)).stdout.trim();
  console.log(`release-check: ${rev} (${head.slice(0, 12)}), built in two fresh clones (umask 077 and 022)`);
  if (dirty && rev === 'HEAD')
    console.log(
      '  (uncommitted changes are not part of it: this checks HEAD, which is what a release from a clean ' +
        'checkout holds)',
    );

  const tmp = await mkdtemp(join(tmpdir(), 'firstboot-release-check-'));
  let keep = false;
  try {
    const builds = await Promise.all(['077', '022'].map((umask) => buildIn(tmp, source, head, umask)));
    const [strict] = builds;
    const publish = await run('npm', ['publish', '--dry-run', '--json'], strict.dir, strict.umask);
    const published = report(publish.stdout, strict.name);

    for (const build of builds) {
      console.log(`umask ${build.umask}: ${build.id}`);
      console.log(`  pieces digest (dist/payload/)    ${build.digest}`);
      console.log(`  pieces digest (in the tarball)   ${build.packedDigest}`);
      console.log(
        `  npm pack integrity               ${build.integrity} (shasum ${build.shasum}, ${build.files} files)`,
      );
    }
    console.log(`npm publish --dry-run (umask 077): ${published.integrity}`);
    for (const line of publish.stderr.split('\n')) if (/^npm (warn|error)/.test(line)) console.log(`  ${line}`);
    console.log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const problems: string[] = [];
    const [a, b] = builds;
    if (a.digest !== b.digest)
      problems.push(`the pieces built under umask 077 and 022 differ (${a.digest} against ${b.digest})`);
    for (const build of builds) {
      if (build.packedDigest !== build.digest)
        problems.push(
          `the tarball packed under umask ${build.umask} holds other pieces than its build ` +
            `(${build.packedDigest} against ${build.digest})`,
        );
    }
    if (a.integrity !== b.integrity)
      problems.push(`npm pack under umask 077 and 022 gives two tarballs (${a.integrity} against ${b.integrity})`);
    if (published.integrity !== a.integrity)
      problems.push(
        `npm publish --dry-run packs another tarball than npm pack (${published.integrity} against ${a.integrity})`,
      );
    if (problems.length) {
      keep = true;
      console.error(
        `release-check: not reproducible: ${problems.join('; ')}. The clones and tarballs are kept ` +
          `in ${tmp} to compare (\`tar -tvzf\` shows each file's mode).`,
      );
      return 1;
    }
    console.log(
      'release-check: ok: both clones build the same pieces and pack the same tarball, which npm publish would send.',
    );
    if (!arm64) console.log('release-check: --no-arm64: this commit is not proven on an arm64 first boot');
    else if (!(await arm64Phase(strict.dir))) {
      keep = true;
      console.error(`release-check: the arm64 phase failed (the clone is kept in ${strict.dir})`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (!(error instanceof Fail)) throw error;
    keep = true;
    console.error(`release-check: could not finish: ${error.message}\n(the clones are kept in ${tmp})`);
    return 1;
  } finally {
    if (!keep) await rm(tmp, { recursive: true, force: true });
  }
}

/** The second phase: the commit's payload on an arm64 first boot, from the clone (its output as it comes). */
async function arm64Phase(dir: string): Promise<boolean> {
  const started = Date.now();
  console.log(`release-check: arm64 phase: npm run test:vm:arm64 in ${dir}`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npm', ['run', 'test:vm:arm64'], { cwd: dir, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) return false;
  console.log(`release-check: arm64 phase: ok in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return true;
}

main().then((code) => (process.exitCode = code));
