// New SSH connections to one host, spaced so that the firewall firstboot sets up lets every one in. ufw's
// `limit` rule (the one the firewall step gives SSH) drops a source's sixth new connection within 30 s,
// and each SYN retried while dropped counts again, so a burst shuts the client out for as long as it
// keeps trying. wait and apply log in several times in a row once a run ends (the admin's proof, the
// host key's three steps, the second run). Four in any 35 s leaves room for one more (a retried SYN, or
// the user's own ssh beside it), and 5 s for a server clock that runs behind (a busy VM's).
export const SSH_LIMIT = { connections: 4, windowMs: 35_000 };

export type Pace = (host: string) => Promise<void>;

/** Resolves when a new connection to `host` keeps within SSH_LIMIT, and counts it. */
export function pacer(
  now: () => number = Date.now,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((res) => setTimeout(res, ms)),
): Pace {
  const started = new Map<string, number[]>();
  const take = async (host: string) => {
    const recent = (started.get(host) ?? []).filter((t) => now() - t < SSH_LIMIT.windowMs);
    if (recent.length >= SSH_LIMIT.connections) {
      await sleep(recent[0] + SSH_LIMIT.windowMs - now());
      recent.shift();
    }
    recent.push(now());
    started.set(host, recent);
  };
  // one at a time, so two logins at once count each other
  let queue = Promise.resolve();
  return (host) => (queue = queue.then(() => take(host)));
}
