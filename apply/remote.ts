// What apply runs on the server, as root: POSIX sh and the tools every Debian and Ubuntu has. The
// scripts are arguments (visible in the process list and sudo's log, so they hold nothing secret);
// file contents and secrets come on stdin and are read with `head -c`, each its exact byte count.
import { createHash } from 'node:crypto';
import { CLIENT_ADDRESS, SERVER_PATHS } from '../contract/paths';
import type { ServerFile } from '../generator/render';

/** Lines that end the log and start the result, in what follow prints. */
export const MARK = {
  cursor: '@@firstboot cursor ',
  /** the boot a follow without a cursor reads: another boot is another log, from its first line */
  boot: '@@firstboot boot ',
  hostKey: '@@firstboot host-key ',
  tailnet: '@@firstboot tailnet ',
  result: '@@firstboot result ',
} as const;

const UNIT = 'firstboot.service';
const state = SERVER_PATHS.status.replace(/\/[^/]*$/, '');

/**
 * `sh -c SCRIPT sh ARGS...` as one command line for the login shell; through sudo unless root. With
 * `client`, the first argument is the login's own "$SSH_CLIENT" (with 'connection', "$SSH_CONNECTION"),
 * which sudo would not pass on.
 */
export function asRoot(
  user: string,
  script: string,
  args: string[] = [],
  client: boolean | 'connection' = false,
): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const login = client === 'connection' ? ['"$SSH_CONNECTION"'] : client ? ['"$SSH_CLIENT"'] : [];
  return [
    ...(user === 'root' ? [] : ['sudo', '-n']),
    'sh',
    '-c',
    quote(script),
    'sh',
    ...login,
    ...args.map(quote),
  ].join(' ');
}

/** The result line's value when cloud-init has finished and the server has no firstboot.service. */
export const NO_UNIT = 'not-found';

/**
 * The unit's journal from the cursor ($1) on, until no job of the unit is left; then the host key, the
 * tailnet name (once SSH goes through the tailnet only), the unit's result and the status file. Run
 * again after a lost connection, it picks up where the run is. Without a cursor it follows the run
 * cloud-init starts at boot, from this boot's first line, once the unit has started. Once this boot's
 * cloud-init has finished (it waits for the run it starts), a run that succeeded in an earlier boot
 * (the done marker) answers at once, and so does a server without the unit.
 */
const FOLLOW =
  `c=$1
found() { [ "$(systemctl show -p LoadState --value ${UNIT})" != not-found ]; }
if [ -n "$c" ]; then set -- --after-cursor "$c"; else set -- -b
  echo "${MARK.boot}$(cat /proc/sys/kernel/random/boot_id)"
  until [ -n "$(systemctl list-jobs --no-legend ${UNIT})" ] || systemctl -q is-active ${UNIT} || ` +
  `systemctl -q is-failed ${UNIT} || { [ -e /run/cloud-init/result.json ] && ` +
  `{ [ -e ${SERVER_PATHS.done} ] || ! found; }; }; do sleep 2; done
fi
journalctl -q -u ${UNIT} "$@" -o cat -f & j=$!
while [ -n "$(systemctl list-jobs --no-legend ${UNIT})" ]; do sleep 2; done
sleep 2; kill $j 2>/dev/null || true; wait $j 2>/dev/null || true
echo "${MARK.hostKey}$(cat /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null)"
echo "${MARK.tailnet}$(cat ${SERVER_PATHS.tailnet} 2>/dev/null)"
echo "${MARK.result}$(if found; then systemctl show -p Result --value ${UNIT}; else echo ${NO_UNIT}; fi)"
cat ${SERVER_PATHS.status} 2>/dev/null || true`;

/** A new cursor printed, the unit started afresh (detached from this connection), and its run followed. */
const RESTART = `set -- "$(journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p')"
echo "${MARK.cursor}$1"
systemctl restart --no-block ${UNIT}
${FOLLOW}`;

/** Everything the start script sends: the server's files, then each secret. */
export interface Upload {
  files: ServerFile[];
  secrets: Map<string, string>;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * What ends stdin: the upload arrived whole only when this comes after the last file (no line break,
 * which $(...) would drop).
 */
export const END = '@@firstboot end';

/** Exit code of a start or check script whose upload ended early or arrived altered. */
export const CUT = 4;

/** One file the scripts read from stdin and put in place. */
export interface Incoming {
  /** a shell word: a plain path, or one in double quotes that expands ("$d/packed") */
  path: string;
  content: string;
  mode: string;
  /** a secret's digest stays off the command line: a short secret could be found from it */
  secret?: boolean;
}

/**
 * sh that reads each file from stdin into PATH.new, checks its byte count, its sha256 (not a secret's)
 * and the END mark after the last one, and only then renames them all into place: a connection that
 * drops or bytes that arrive altered leave every file on the server as it was, and exit CUT.
 */
export function receive(files: Incoming[]): string {
  return [
    // folders made here are for the server's programs and users: not as private as the login's or sudo's
    // umask would make them
    'umask 022',
    `refuse() { rm -f ${files.map((f) => `${f.path}.new`).join(' ')}; ` +
      `echo "$1; nothing on the server was replaced" >&2; exit ${CUT}; }`,
    'take() {',
    '  mkdir -p "${2%/*}"; head -c "$1" > "$2.new" || refuse "cannot write $2.new"',
    '  n=$(wc -c < "$2.new"); [ "$n" -eq "$1" ] || refuse "the upload ended early: $2 got $n of its $1 bytes"',
    '  s=$(sha256sum < "$2.new"); ' +
      '[ -z "$4" ] || [ "${s%% *}" = "$4" ] || refuse "$2 arrived altered: its sha256 differs"',
    '  chmod "$3" "$2.new"',
    '}',
    ...files.map((f) => `take ${bytes(f.content)} ${f.path} ${f.mode} ${f.secret ? "''" : sha256(f.content)}`),
    `[ "$(head -c ${bytes(END)})" = "${END}" ] || refuse "the upload ended early, after its last file"`,
    ...files.map((f) => `mv ${f.path}.new ${f.path}`),
  ].join('\n');
}

/** What stdin carries for `receive(files)`. */
export const receiveInput = (files: Incoming[]) =>
  Buffer.concat([...files.map((f) => f.content), END].map((t) => Buffer.from(t, 'utf8')));

/**
 * Notes the address the login came from ($1: SSH_CLIENT: the owner's, which GeoIP lets through), receives the files and
 * secrets (all whole, or none replaced), clears the last run's plan, status and done marker, and
 * starts firstboot.service afresh, detached from this connection;
 * then prints the host key (apply trusts it before the run removes other key types) and the journal
 * cursor, and follows the run.
 */
export function startScript(upload: Upload): { script: string; input: Buffer } {
  const files: Incoming[] = [
    ...upload.files.map((f) => ({ path: f.path, content: f.content, mode: f.permissions })),
    ...[...upload.secrets].map(([name, value]) => ({
      path: `${SERVER_PATHS.secrets}/${name}`,
      content: value,
      mode: '0600',
      secret: true,
    })),
  ];
  const script = `set -eu
umask 077
c=\${1-}; mkdir -p ${state}; printf '%s\\n' "\${c%% *}" > ${CLIENT_ADDRESS}
mkdir -p ${SERVER_PATHS.secrets}; chmod 0700 ${state} ${SERVER_PATHS.secrets}
${receive(files)}
rm -f ${SERVER_PATHS.plan} ${SERVER_PATHS.status} ${SERVER_PATHS.done}
systemctl daemon-reload
systemctl enable -q ${UNIT}
echo "${MARK.hostKey}$(cat /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null)"
${RESTART}`;
  return { script, input: receiveInput(files) };
}

export const followScript = FOLLOW;

/**
 * Run over the owner's login through the node's tailnet name: notes that login ($1: its SSH_CONNECTION,
 * whose server end the tailscale step checks is its tailnet address) and runs the payload again, which
 * then closes public SSH and mosh.
 */
export const tailnetLoginScript = `set -eu
umask 077
printf '%s\\n' "$1" > ${SERVER_PATHS.tailnetLogin}.new
mv ${SERVER_PATHS.tailnetLogin}.new ${SERVER_PATHS.tailnetLogin}
rm -f ${SERVER_PATHS.status} ${SERVER_PATHS.done}
${RESTART}`;

/**
 * `firstboot check` against a plan without installing it: the payload unpacked into a folder of its
 * own (beside the installed one, so it finds the fetched npm packages), run, removed.
 */
export function checkScript(packed: string): { script: string; input: Buffer } {
  const files = [{ path: '"$d/packed"', content: packed, mode: '0600' }];
  const script = `set -eu
umask 077
command -v node >/dev/null || { echo "nodejs is not installed: firstboot has not run here"; exit 3; }
mkdir -p ${SERVER_PATHS.lib}
d=$(mktemp -d ${SERVER_PATHS.lib}/check.XXXXXX)
trap 'rm -rf "$d"' EXIT
${receive(files)}
node -e "$1" "$d/packed" "$d/payload" "$d/plan.json"
node "$d/payload/main.mjs" check -o json --plan "$d/plan.json"`;
  return { script, input: receiveInput(files) };
}
