// The plumbing of payload/lib/probe.ts as iproute2 answers it: a namespace and a veth pair that exist
// until the namespace is deleted. What ssh-keyscan sees from inside is each test's own rule.
import type { RecordingShell } from '../fakes/shell';

const NS = 'firstboot-probe';

type Reply = { exitCode?: number; stderr?: string };

export function probeNamespace($: RecordingShell): RecordingShell {
  let namespace = false;
  let veth = false;
  const noDevice = (name: string) => (veth ? {} : { exitCode: 1, stderr: `Cannot find device "${name}"\n` });
  const host: Record<string, () => Reply> = {
    [`netns add ${NS}`]: () => {
      if (namespace) return { exitCode: 1, stderr: `Cannot create namespace file "/run/netns/${NS}": File exists\n` };
      namespace = true;
      return {};
    },
    [`link add fb-probe type veth peer name fb-client netns ${NS}`]: () => {
      if (veth) return { exitCode: 2, stderr: 'RTNETLINK answers: File exists\n' };
      veth = true;
      return {};
    },
    'address add 198.18.255.253/30 dev fb-probe': () => noDevice('fb-probe'),
    'link set fb-probe up': () => noDevice('fb-probe'),
  };
  const client: Record<string, () => Reply> = {
    'address add 198.18.255.254/30 dev fb-client': () => noDevice('fb-client'),
    'link set fb-client up': () => noDevice('fb-client'),
  };
  // ip -batch: one command per line, stopping at the first that fails
  const batch =
    (commands: Record<string, () => Reply>) =>
    (_: string, { input = '' }: { input?: string }) => {
      for (const [i, line] of input.trimEnd().split('\n').entries()) {
        const run = commands[line];
        if (!run) throw new Error(`the fake ip has no batch command "${line}"`);
        const reply = run();
        if (reply.exitCode) return { exitCode: 1, stderr: `${reply.stderr}Command failed -:${i + 1}\n` };
      }
      return {};
    };
  return $.on(`ip netns delete ${NS}`, () => {
    // deleting the namespace takes the veth pair with it; a missing one is an error (the probe ignores it)
    if (!namespace)
      return { exitCode: 1, stderr: `Cannot remove namespace file "/run/netns/${NS}": No such file or directory\n` };
    namespace = veth = false;
    return {};
  })
    .on('ip -batch -', batch(host))
    .on(`ip -n ${NS} -batch -`, (cmd, opts) =>
      namespace
        ? batch(client)(cmd, opts)
        : { exitCode: 255, stderr: `Cannot open network namespace "${NS}": No such file or directory\n` },
    );
}
