// The short human summaries the Hetzner Cloud commands print on stdout (`-o json` prints the results as they are).
import { statusLine } from '../contract/status';
import type { Status } from '../contract/status';
import type { CreateResult, ListedServer } from '../hcloud/index';

export function createdText(result: CreateResult): string {
  const { server } = result;
  const port = result.sshPort === 22 ? '' : ` -p ${result.sshPort}`;
  const lines = [
    `server ${server.name} (id ${server.id}): ${server.type} in ${server.location}, image ${server.image}`,
    `  ipv4      ${server.ipv4 ?? '-'}`,
    `  ipv6      ${server.ipv6 ?? '-'}`,
    ...(result.firewall ? [`  firewall  ${result.firewall.name}`] : []),
    // The Host block and known_hosts entry are written only when there is an IPv4 address.
    server.ipv4
      ? `  ssh       ssh ${server.name}   (${result.admin}@${server.ipv4}${port}; host key already ` +
        `in ${result.knownHostsPath})`
      : `  ssh       no IPv4 address: no Host block was written`,
  ];
  if (result.status) lines.push(statusText(result.status));
  else
    lines.push(
      `firstboot hardens it on its first boot; \`ssh ${server.name} sudo firstboot status\` shows how far it got`,
    );
  return lines.join('\n') + '\n';
}

export function statusText(status: Status): string {
  const rows = status.steps.map((s) => `  ${statusLine(s)}`);
  return [`firstboot ${status.ok ? 'finished' : 'FAILED'}:`, ...rows].join('\n');
}

export function listText(servers: ListedServer[]): string {
  const rows = [
    ['NAME', 'STATUS', 'IPV4', 'TYPE', 'LOCATION', 'FIRSTBOOT', 'CONFIG'],
    ...servers.map((s) => [
      s.name,
      s.status,
      s.ipv4 ?? '-',
      s.type,
      s.location,
      s.firstbootVersion,
      s.configHash?.slice(0, 12) ?? '-',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
