// Tailscale's stand-in for the VM tests: its packages and coordination server are out of reach here, so the
// test builds a signed apt repository laid out like pkgs.tailscale.com/stable whose `tailscale` package is
// ours: two shell scripts that "join" a tailnet by renaming the VM's second NIC (vm.ts `tailnet`) to
// tailscale0 with the node's address. A second copy of the repository is signed by another key, for apt to refuse.
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

/** The stand-in tailnet: qemu's second user network, which the guest sees as one NIC with this MAC. */
export const TAILNET = {
  mac: '52:54:00:74:73:00',
  /** the node's tailnet addresses, in Tailscale's ranges (100.64.0.0/10, fd7a:115c:a1e0::/48) */
  address: '100.64.0.7',
  address6: 'fd7a:115c:a1e0::7',
  /** qemu's end: every connection through the tailnet forward comes from it */
  host: '100.64.0.2',
  net: '100.64.0.0/24',
  /** MagicDNS: the node is HOSTNAME.<domain> */
  domain: 'firstboot-test.ts.net',
} as const;

export const STANDIN_VERSION = '1.90.0~standin1';
/** the Debian releases the repository has a suite for, as pkgs.tailscale.com names them */
const SUITES = ['bookworm', 'trixie'];
const KEY_UID = 'firstboot test repository <test@firstboot.invalid>';
const IMPOSTOR_UID = 'firstboot test impostor <impostor@firstboot.invalid>';

// String.raw keeps the shell's backslashes; the scripts use no ${...} of their own, so each one is ours.
const CLI = String.raw`#!/bin/sh
# firstboot's test stand-in for the tailscale CLI, NOT Tailscale (firstboot's test/vm/tailscale.ts builds it).
# No WireGuard, no coordination server: "up" checks the auth key's form, records the node (never the key)
# and renames the VM's second NIC (MAC ${TAILNET.mac}, qemu's "tailnet") to tailscale0 with the node's address.
VERSION=${STANDIN_VERSION.replace('~', '-')}
MAC=${TAILNET.mac}
IP4=${TAILNET.address}
IP6=${TAILNET.address6}
SUFFIX=${TAILNET.domain}
STATE=/var/lib/tailscale/standin.json
# the host-side test runs it against a state file of its own
[ -z "$TAILSCALE_STANDIN_STATE" ] || STATE=$TAILSCALE_STANDIN_STATE
# tags may hold anything: no pathname expansion when they are split
set -f

die() { echo "$*" >&2; exit 1; }
daemon() {
  systemctl is-active -q tailscaled || die "failed to connect to local tailscaled; it doesn't appear to be running (sudo systemctl start tailscaled ?)"
}
# a field of the state file, which only "up" writes: one per line, each but the last ending in a comma
field() { sed -n "s/^  \"$1\": \(.*\),$/\1/p" "$STATE"; }
value() { printf %s "$1" | cut -d= -f2-; }
bool() {
  case $1 in 1|t|T|true|TRUE|True) echo true ;; 0|f|F|false|FALSE|False) echo false ;; *) return 1 ;; esac
}
short_hostname() { uname -n | cut -d. -f1; }
# in the tailnet: tailscaled runs (checked by the caller) and tailscale0 holds the node's address
online() { ip -4 -o address show dev tailscale0 2>/dev/null | grep -q " inet $IP4/"; }

link_up() {
  if ! ip link show dev tailscale0 >/dev/null 2>&1; then
    dev=$(ip -br link show | while read -r name _ mac _; do [ "$mac" = "$MAC" ] && echo "$name"; done)
    [ -n "$dev" ] || die "tailscale (stand-in): no network interface with MAC $MAC (boot the VM with VmOptions.tailnet)"
    { ip link set dev "$dev" down && ip link set dev "$dev" name tailscale0; } || die "tailscale (stand-in): cannot rename $dev to tailscale0"
  fi
  { ip link set dev tailscale0 up && ip address replace "$IP4/24" dev tailscale0; } || die "tailscale (stand-in): cannot address tailscale0"
  # IPv6 may be off (sysctl); firstboot uses the IPv4 address
  ip -6 address replace "$IP6/48" dev tailscale0 nodad 2>/dev/null || true
}

up() {
  key='' host=$(short_hostname) tags='' dns=true routes=false
  while [ $# -gt 0 ]; do
    # Go's flags: -name and --name alike
    arg=$1
    case $arg in --*) arg=$(printf %s "$arg" | cut -c2-) ;; esac
    case $arg in
      -auth-key=*|-authkey=*) key=$(value "$arg") ;;
      -hostname=*) host=$(value "$arg") ;;
      -advertise-tags=*) tags=$(value "$arg") ;;
      -auth-key|-authkey|-hostname|-advertise-tags)
        [ $# -gt 1 ] || die "flag needs an argument: $1"
        case $arg in -hostname) host=$2 ;; -advertise-tags) tags=$2 ;; *) key=$2 ;; esac
        shift ;;
      -accept-dns) dns=true ;;
      -accept-dns=*) dns=$(bool "$(value "$arg")") || die "invalid boolean value for -accept-dns" ;;
      -accept-routes) routes=true ;;
      -accept-routes=*) routes=$(bool "$(value "$arg")") || die "invalid boolean value for -accept-routes" ;;
      # the real CLI's other flags mean nothing here
      *) ;;
    esac
    shift
  done
  daemon
  case $key in
    file:*) path=$(printf %s "$key" | cut -c6-)
      key=$(tr -d ' \t\r\n' < "$path") || die "reading auth key: cannot read $path" ;;
  esac
  [ -n "$key" ] || die "tailscale (stand-in): joins only with an auth key (--auth-key)"
  case $key in tskey-auth-?*) ;; *) die "backend error: invalid key: unable to validate API key" ;; esac
  case $host in ''|-*|*[!A-Za-z0-9-]*) die "invalid hostname \"$host\"" ;; esac
  list=
  for tag in $(printf %s "$tags" | tr ',' ' '); do
    case $tag in tag:[A-Za-z]*) ;; *) die "tags must start with 'tag:' and a letter, got \"$tag\"" ;; esac
    case $tag in tag:*[!A-Za-z0-9-]*) die "tag names can only contain numbers, letters, or dashes: \"$tag\"" ;; esac
    [ -z "$list" ] || list="$list,"
    list="$list\"$tag\""
  done
  # root-only as tailscaled's state is, and never the key
  mkdir -p "$(dirname "$STATE")" || die "cannot create $(dirname "$STATE")"
  (umask 077 && {
    printf '{\n  "StandIn": "firstboot test stand-in, not Tailscale",\n  "HostName": "%s",\n  "Tags": [%s],\n' "$host" "$list"
    printf '  "AcceptDNS": %s,\n  "AcceptRoutes": %s,\n  "LoggedIn": true\n}\n' "$dns" "$routes"
  } > "$STATE.new") || die "cannot write $STATE"
  mv "$STATE.new" "$STATE" || die "cannot write $STATE"
  link_up
}

status() {
  json=false
  for arg in "$@"; do case $arg in --json|-json|--json=true|-json=true) json=true ;; esac; done
  daemon
  if [ ! -f "$STATE" ]; then
    if $json; then
      printf '{"Version":"%s","BackendState":"NeedsLogin",' "$VERSION"
      printf '"Self":{"HostName":"%s","DNSName":"","TailscaleIPs":null,"Online":false}}\n' "$(short_hostname)"
    else
      echo 'Logged out.'
    fi
    return
  fi
  name=$(field HostName | tr -d '"')
  dns="$(printf %s "$name" | tr '[:upper:]' '[:lower:]').$SUFFIX."
  tags=$(field Tags)
  state=Starting on=false
  if online; then state=Running on=true; fi
  if $json; then
    more=
    [ "$tags" = '[]' ] || more=",\"Tags\":$tags"
    printf '{"Version":"%s","BackendState":"%s",' "$VERSION" "$state"
    printf '"Self":{"HostName":"%s","DNSName":"%s","TailscaleIPs":["%s","%s"],"Online":%s%s},' "$name" "$dns" "$IP4" "$IP6" "$on" "$more"
    printf '"MagicDNSSuffix":"%s","CurrentTailnet":{"Name":"firstboot-test","MagicDNSSuffix":"%s","MagicDNSEnabled":true}}\n' "$SUFFIX" "$SUFFIX"
  elif $on; then
    printf '%s  %s  firstboot-test  linux  -\n' "$IP4" "$name"
  else
    echo "Tailscale is starting: tailscale0 is not up."
  fi
}

addresses() {
  daemon
  if [ ! -f "$STATE" ] || ! online; then die "no current Tailscale IPs; state: NeedsLogin"; fi
  case $1 in -4|--4) echo "$IP4" ;; -6|--6) echo "$IP6" ;; *) echo "$IP4"; echo "$IP6" ;; esac
}

cmd=$1
[ $# -eq 0 ] || shift
case $cmd in
  up) up "$@" ;;
  status) status "$@" ;;
  ip) addresses "$@" ;;
  version) echo "$VERSION"; echo '  firstboot test stand-in, not Tailscale' ;;
  # tailscaled at start: a node that joined before gets its NIC back
  standin-link) [ ! -f "$STATE" ] || link_up ;;
  *) die "tailscale (firstboot test stand-in): unknown subcommand \"$cmd\"" ;;
esac
`;

const DAEMON = `#!/bin/sh
# firstboot's test stand-in for tailscaled, NOT Tailscale (firstboot's test/vm/tailscale.ts builds it): a node
# that joined before gets its tailnet NIC back at boot; then it only has to be running for the CLI.
/usr/bin/tailscale standin-link || exit 1
exec sleep infinity
`;

const UNIT = `# firstboot's test stand-in for tailscaled.service, NOT Tailscale (firstboot's test/vm/tailscale.ts builds it)
[Unit]
Description=Tailscale node agent (firstboot test stand-in)
After=network-pre.target
Wants=network-pre.target

[Service]
Type=simple
ExecStart=/usr/sbin/tailscaled

[Install]
WantedBy=multi-user.target
`;

/** the package's files: path -> mode and content (/usr/lib for the unit: trixie's dpkg warns of /lib on merged /usr) */
export const STANDIN_FILES: Record<string, { mode: number; content: string }> = {
  'usr/bin/tailscale': { mode: 0o755, content: CLI },
  'usr/sbin/tailscaled': { mode: 0o755, content: DAEMON },
  'usr/lib/systemd/system/tailscaled.service': { mode: 0o644, content: UNIT },
};

const installedKiB = Math.ceil(
  Object.values(STANDIN_FILES).reduce((sum, f) => sum + Buffer.byteLength(f.content), 0) / 1024,
);
const CONTROL = `Package: tailscale
Version: ${STANDIN_VERSION}
Architecture: amd64
Maintainer: firstboot tests <test@firstboot.invalid>
Installed-Size: ${installedKiB}
Depends: iproute2
Section: net
Priority: optional
Description: firstboot's test stand-in for Tailscale, NOT Tailscale
 Built by firstboot's VM tests, where Tailscale's packages and coordination server are
 out of reach: "tailscale up" renames a second NIC to tailscale0 and calls that the tailnet.
`;

export interface TailscaleRepo {
  /** laid out like pkgs.tailscale.com/stable: debian/<suite>.noarmor.gpg, debian/dists/<suite>/InRelease, debian/pool/ */
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
  const inputs = { files: STANDIN_FILES, control: CONTROL, suites: SUITES, uids: [KEY_UID, IMPOSTOR_UID] };
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
    const deb = await buildDeb(home);
    for (const [name, signer] of [
      ['root', key],
      ['wrong', impostor],
    ]) {
      await writeRepo(
        join(tmp, name, 'debian'),
        deb,
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

/** The stand-in .deb, built in `work`: its file name and bytes. */
async function buildDeb(work: string): Promise<{ name: string; data: Buffer }> {
  const root = join(work, 'deb');
  for (const [path, file] of Object.entries({
    'DEBIAN/control': { mode: 0o644, content: CONTROL },
    ...STANDIN_FILES,
  })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), file.content);
    chmodSync(join(root, path), file.mode);
  }
  // dpkg-deb takes the folders' modes as they are, and mkdtemp's 0700 would land on the server's /
  await run('find', [root, '-type', 'd', '-exec', 'chmod', '0755', '{}', '+']);
  const name = `tailscale_${STANDIN_VERSION}_amd64.deb`;
  await run('dpkg-deb', ['--root-owner-group', '--build', root, join(work, name)]);
  return { name, data: readFileSync(join(work, name)) };
}

/** One repository at `dir` (the URL's .../debian): a suite per release, all with the same package and key. */
async function writeRepo(
  dir: string,
  deb: { name: string; data: Buffer },
  key: Buffer,
  sign: (release: string, inRelease: string) => Promise<void>,
) {
  const write = (path: string, data: Buffer | string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  };
  write(`pool/${deb.name}`, deb.data);
  // the index by hand: the control file is ours, so dpkg-scanpackages would add nothing
  const packages = `${CONTROL}Filename: pool/${deb.name}\nSize: ${deb.data.length}\nSHA256: ${sha256(deb.data)}\n`;
  const indexes: Record<string, Buffer> = {
    'main/binary-amd64/Packages': Buffer.from(packages),
    'main/binary-amd64/Packages.gz': gzipSync(packages),
  };
  for (const suite of SUITES) {
    write(`${suite}.noarmor.gpg`, key);
    for (const [path, data] of Object.entries(indexes)) write(`dists/${suite}/${path}`, data);
    const sums = Object.entries(indexes).map(([path, data]) => ` ${sha256(data)} ${data.length} ${path}`);
    const release = join(dir, `dists/${suite}/Release.unsigned`);
    writeFileSync(
      release,
      `Origin: firstboot-test\nLabel: Tailscale stand-in (firstboot test, not Tailscale)\nSuite: ${suite}\nCodename: ${suite}\n` +
        `Date: ${new Date().toUTCString()}\nArchitectures: amd64\nComponents: main\nSHA256:\n${sums.join('\n')}\n`,
    );
    // InRelease only: no unsigned Release beside it for apt to fall back on
    await sign(release, join(dir, `dists/${suite}/InRelease`));
    rmSync(release);
  }
}
