// apt at first boot: unattended-upgrades or cloud-init may hold the dpkg lock for minutes, a power cut
// may have left dpkg half-done, and the mirror may hiccup. Wait, repair, retry; never prompt.
import type { Shell, Output } from './shell';
import type { Log } from './log';

const LOCK_WAIT_SECONDS = 900;
const NETWORK_TRIES = 3;

const APT = [
  '-y',
  '-q',
  '-o',
  `DPkg::Lock::Timeout=${LOCK_WAIT_SECONDS}`,
  '-o',
  'Acquire::Retries=3',
  '-o',
  'Dpkg::Options::=--force-confdef',
  '-o',
  'Dpkg::Options::=--force-confold',
];

/**
 * `env` arguments: no debconf prompts; needrestart's apt hook stands down, since a library this run
 * upgrades can be one node has loaded, and needrestart would then restart firstboot.service, and with it
 * this run and its apt, half-way (later upgrades restart services as needrestart is set up); and
 * apt-listchanges shows no pager and sends no mail for the changes a first boot installs.
 */
const ENV = ['DEBIAN_FRONTEND=noninteractive', 'NEEDRESTART_SUSPEND=1', 'APT_LISTCHANGES_FRONTEND=none'];

const lockBusy = (out: Output) =>
  /Could not get lock|Unable to acquire the dpkg frontend lock|dpkg status database is locked/i.test(out.stderr);
const networkError = (out: Output) =>
  /Temporary failure|Could not resolve|Failed to fetch|Connection timed out|Unable to connect/i.test(out.stderr);

const wait = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** Runs an apt or dpkg command, waiting out a held lock and retrying transient network errors. */
async function retrying(log: Log, run: () => Promise<Output>, what: string, sleep = wait): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_SECONDS * 1000;
  for (let networkTry = 1; ; ) {
    const out = await run();
    if (out.ok) return;
    if (lockBusy(out) && Date.now() < deadline) {
      log.info(`${what}: waiting for the dpkg lock`);
      await sleep(5);
    } else if (networkError(out) && networkTry < NETWORK_TRIES) {
      log.warn(`${what}: network error, try ${++networkTry} of ${NETWORK_TRIES}`);
      await sleep(10 * networkTry);
    } else {
      throw new Error(`${what} failed (exit ${out.exitCode}): ${out.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    }
  }
}

/** Packages from the list that are not fully installed. */
export async function missingPackages($: Shell, packages: string[]): Promise<string[]> {
  if (packages.length === 0) return [];
  const out = await $({ nothrow: true })`dpkg-query -W -f=${'${Package} ${db:Status-Abbrev}\n'} ${packages}`;
  const installed = new Set(
    out.stdout
      .split('\n')
      .filter((line) => / ii\s*$/.test(line))
      .map((line) => line.split(' ')[0].split(':')[0]),
  );
  return packages.filter((name) => !installed.has(name));
}

/**
 * apt-get update; with `list`, of that sources file alone, every other list kept as it is: a repository
 * that fails its signature check then changes nothing.
 */
export async function updateLists($: Shell, log: Log, list?: string, sleep = wait): Promise<void> {
  const only = list
    ? ['-o', `Dir::Etc::SourceList=${list}`, '-o', 'Dir::Etc::SourceParts=-', '-o', 'APT::Get::List-Cleanup=0']
    : [];
  // no translated descriptions: nothing here reads them
  const args = [...APT, '-o', 'Acquire::Languages=none', ...only, 'update'];
  await retrying(log, () => $({ nothrow: true })`apt-get ${args}`, `apt-get update${list ? ` (${list})` : ''}`, sleep);
}

/**
 * Installs the packages in one transaction, without recommends (each step names what it needs), after
 * updating the lists (`list`: that sources file's alone).
 */
export async function install($: Shell, log: Log, packages: string[], sleep = wait, list?: string): Promise<void> {
  const q = $({ nothrow: true });
  // A power cut during an earlier run can leave dpkg half-done, and apt refuses to work until this runs.
  // A package cut mid-unpack makes it fail (what depends on it cannot be configured): apt's install
  // reinstalls that package, and its error is the one that counts.
  await retrying(
    log,
    () => q`env ${ENV} dpkg --force-confdef --force-confold --configure -a`,
    'dpkg --configure -a',
    sleep,
  ).catch((err: Error) => log.warn(`${err.message}; apt-get install repairs what it can`));
  const installing = `apt-get install ${packages.join(' ')}`;
  const run = () =>
    retrying(log, () => q`env ${ENV} apt-get ${APT} install --no-install-recommends ${packages}`, installing, sleep);
  await updateLists($, log, list, sleep);
  try {
    await run();
  } catch (err) {
    if (!/Unable to locate package|has no installation candidate/.test((err as Error).message)) throw err;
    // a power cut soon after an update can leave empty package lists, which apt takes as current
    // because the Release file did not change: drop them and fetch everything again, once
    log.warn('apt: fetching the package lists anew');
    await $`find /var/lib/apt/lists -type f -delete`;
    await updateLists($, log, undefined, sleep);
    await run();
  }
}

/**
 * The releases apt has package lists of, one map each of `apt-cache policy`'s release fields
 * (o origin, a archive, n codename, l label, c component): what apt can install from right now.
 */
export async function aptReleases($: Shell): Promise<Map<string, string>[]> {
  const lines = (await $`apt-cache policy`).stdout.split('\n');
  return lines.flatMap((line) => {
    const fields = /^\s+release (.+)$/.exec(line)?.[1];
    return fields
      ? [
          new Map(
            fields.split(',').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] as [string, string]),
          ),
        ]
      : [];
  });
}

/** The suites and components the binary sources name, whether or not their lists were ever fetched. */
export async function aptSources($: Shell): Promise<{ suite: string; component: string }[]> {
  const out = await $`apt-get indextargets --format ${'$(TARGET_OF) $(RELEASE) $(COMPONENT)'}`;
  const seen = new Set<string>();
  return out.stdout.split('\n').flatMap((line) => {
    const [type, suite, component] = line.trim().split(' ');
    if (type !== 'deb' || !suite || seen.has(`${suite} ${component}`)) return [];
    seen.add(`${suite} ${component}`);
    return [{ suite, component }];
  });
}
