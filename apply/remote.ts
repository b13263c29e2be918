// What apply runs on the server, as root: POSIX sh and the tools every Debian and Ubuntu has. The
// scripts are arguments (visible in the process list and sudo's log, so they hold nothing secret);
// file contents and secrets come on stdin and are read with `head -c`, each its exact byte count.
import { CLIENT_ADDRESS, SERVER_PATHS } from '../contract/paths';
import type { ServerFile } from '../generator/render';

/** Lines that end the log and start the result, in what follow prints. */
export const MARK = { cursor: '@@firstboot cursor ', hostKey: '@@firstboot host-key ', tailnet: '@@firstboot tailnet ', result: '@@firstboot result ' } as const;

const UNIT = 'firstboot.service';
const state = SERVER_PATHS.status.replace(/\/[^/]*$/, '');

/**
 * `sh -c SCRIPT sh ARGS...` as one command line for the login shell; through sudo unless root. With
 * `client`, the first argument is the login's own "$SSH_CLIENT" (with 'connection', "$SSH_CONNECTION"),
 * which sudo would not pass on.
 */
export function asRoot(user: string, script: string, args: string[] = [], client: boolean | 'connection' = false): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const login = client === 'connection' ? ['"$SSH_CONNECTION"'] : client ? ['"$SSH_CLIENT"'] : [];
  return [...(user === 'root' ? [] : ['sudo', '-n']), 'sh', '-c', quote(script), 'sh', ...login, ...args.map(quote)].join(' ');
}

/**
 * The unit's journal from the cursor ($1) on, until no job of the unit is left; then the host key, the
 * tailnet name (once SSH goes through the tailnet only), the unit's result and the status file. Run again after a lost connection, it picks up where the run is.
 */
const FOLLOW = `c=$1
journalctl -q -u ${UNIT} --after-cursor "$c" -o cat -f & j=$!
while [ -n "$(systemctl list-jobs --no-legend ${UNIT})" ]; do sleep 2; done
sleep 2; kill $j 2>/dev/null || true; wait $j 2>/dev/null || true
echo "${MARK.hostKey}$(cat /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null)"
echo "${MARK.tailnet}$(cat ${SERVER_PATHS.tailnet} 2>/dev/null)"
echo "${MARK.result}$(systemctl show -p Result --value ${UNIT})"
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

/**
 * Notes the address the login came from ($1: SSH_CLIENT: the owner's, which GeoIP lets through), writes the files and
 * secrets (each whole: a temporary file, then a rename), clears the last run's plan, status and done
 * marker, and starts firstboot.service afresh, detached from this connection;
 * then prints the host key (apply trusts it before the run removes other key types) and the journal
 * cursor, and follows the run.
 */
export function startScript(upload: Upload): { script: string; input: Buffer } {
  const takes = [
    ...upload.files.map((f) => `take ${bytes(f.content)} ${f.path} ${f.permissions}`),
    `mkdir -p ${SERVER_PATHS.secrets}; chmod 0700 ${state} ${SERVER_PATHS.secrets}`,
    ...[...upload.secrets].map(([name, value]) => `take ${bytes(value)} ${SERVER_PATHS.secrets}/${name} 0600`),
  ];
  const script = `set -eu
umask 077
c=\${1-}; mkdir -p ${state}; printf '%s\\n' "\${c%% *}" > ${CLIENT_ADDRESS}
take() { mkdir -p "\${2%/*}"; head -c "$1" > "$2.new"; chmod "$3" "$2.new"; mv "$2.new" "$2"; }
${takes.join('\n')}
rm -f ${SERVER_PATHS.plan} ${SERVER_PATHS.status} ${SERVER_PATHS.done}
systemctl daemon-reload
systemctl enable -q ${UNIT}
echo "${MARK.hostKey}$(cat /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null)"
${RESTART}`;
  const input = Buffer.concat([...upload.files.map((f) => f.content), ...upload.secrets.values()].map((t) => Buffer.from(t, 'utf8')));
  return { script, input };
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
  const script = `set -eu
umask 077
command -v node >/dev/null || { echo "nodejs is not installed: firstboot has not run here"; exit 3; }
mkdir -p ${SERVER_PATHS.lib}
d=$(mktemp -d ${SERVER_PATHS.lib}/check.XXXXXX)
trap 'rm -rf "$d"' EXIT
head -c ${bytes(packed)} > "$d/packed"
node -e "$1" "$d/packed" "$d/payload" "$d/plan.json"
node "$d/payload/main.mjs" check -o json --plan "$d/plan.json"`;
  return { script, input: Buffer.from(packed, 'utf8') };
}
