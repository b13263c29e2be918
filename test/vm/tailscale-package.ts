// The stand-in `tailscale` package the VM tests install (tailscale.ts builds the repository that serves it): the
// stand-in tailnet's addresses, and two shell scripts that "join" a tailnet by renaming the VM's second NIC
// (vm.ts `tailnet`) to tailscale0 with the node's address, with tailscaled's unit and the package's control file.
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

// String.raw keeps the shell's backslashes; the scripts use no ${...} of their own, so each one is ours.
export const CLI = String.raw`#!/bin/sh
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
  systemctl is-active -q tailscaled ||
    die "failed to connect to local tailscaled; it doesn't appear to be running (sudo systemctl start tailscaled ?)"
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
    { ip link set dev "$dev" down && ip link set dev "$dev" name tailscale0; } ||
      die "tailscale (stand-in): cannot rename $dev to tailscale0"
  fi
  { ip link set dev tailscale0 up && ip address replace "$IP4/24" dev tailscale0; } ||
    die "tailscale (stand-in): cannot address tailscale0"
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
    printf '{\n  "StandIn": "firstboot test stand-in, not Tailscale",\n  "HostName": "%s",\n  "Tags": [%s],\n' \
      "$host" "$list"
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
    printf '"Self":{"HostName":"%s","DNSName":"%s","TailscaleIPs":["%s","%s"],"Online":%s%s},' \
      "$name" "$dns" "$IP4" "$IP6" "$on" "$more"
    printf '"MagicDNSSuffix":"%s","CurrentTailnet":{"Name":"firstboot-test",' "$SUFFIX"
    printf '"MagicDNSSuffix":"%s","MagicDNSEnabled":true}}\n' "$SUFFIX"
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

export const DAEMON = `#!/bin/sh
# firstboot's test stand-in for tailscaled, NOT Tailscale (firstboot's test/vm/tailscale.ts builds it): a node
# that joined before gets its tailnet NIC back at boot; then it only has to be running for the CLI.
/usr/bin/tailscale standin-link || exit 1
exec sleep infinity
`;

export const UNIT = `# firstboot's test stand-in for tailscaled.service, NOT Tailscale (firstboot's \
test/vm/tailscale.ts builds it)
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

export const installedKiB = Math.ceil(
  Object.values(STANDIN_FILES).reduce((sum, f) => sum + Buffer.byteLength(f.content), 0) / 1024,
);

/** the architectures pkgs.tailscale.com has a package for that Hetzner's servers are: x86 and Arm (CAX) */
export const STANDIN_ARCHES = ['amd64', 'arm64'] as const;

/** the package's control file for `arch`: only its Architecture differs, as its files are scripts */
export const control = (arch: (typeof STANDIN_ARCHES)[number]) => `Package: tailscale
Version: ${STANDIN_VERSION}
Architecture: ${arch}
Maintainer: firstboot tests <test@firstboot.invalid>
Installed-Size: ${installedKiB}
Depends: iproute2
Section: net
Priority: optional
Description: firstboot's test stand-in for Tailscale, NOT Tailscale
 Built by firstboot's VM tests, where Tailscale's packages and coordination server are
 out of reach: "tailscale up" renames a second NIC to tailscale0 and calls that the tailnet.
`;
