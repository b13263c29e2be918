// The plumbing of payload/lib/probe.ts as iproute2 answers it: a namespace and a veth pair that exist
// until the namespace is deleted. What ssh-keyscan sees from inside is each test's own rule.
import type { RecordingShell } from '../fakes/shell';

const NS = 'firstboot-probe';

export function probeNamespace($: RecordingShell): RecordingShell {
  let namespace = false;
  let veth = false;
  return $.on(`ip netns delete ${NS}`, () => {
    // deleting the namespace takes the veth pair with it; a missing one is an error (the probe ignores it)
    if (!namespace)
      return { exitCode: 1, stderr: `Cannot remove namespace file "/run/netns/${NS}": No such file or directory\n` };
    namespace = veth = false;
    return {};
  })
    .on(`ip netns add ${NS}`, () => {
      if (namespace) return { exitCode: 1, stderr: `Cannot create namespace file "/run/netns/${NS}": File exists\n` };
      namespace = true;
      return {};
    })
    .on(`ip link add fb-probe type veth peer name fb-client netns ${NS}`, () => {
      if (veth) return { exitCode: 2, stderr: 'RTNETLINK answers: File exists\n' };
      veth = true;
      return {};
    })
    .on('ip address add 198.18.255.253/30 dev fb-probe', {})
    .on('ip link set fb-probe up', {})
    .on(`ip -n ${NS} address add 198.18.255.254/30 dev fb-client`, {})
    .on(`ip -n ${NS} link set fb-client up`, {});
}
