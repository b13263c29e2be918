// The daily security report's plumbing: msmtp's account (root-only, with no password in it: msmtp
// reads the secret's file each time it sends) and the timer that runs `firstboot report --now`.
// What the report says is payload/daily-report.ts.
import type { ReportPlan } from '../../contract/plan';
import { SERVER_PATHS } from '../../contract/paths';
import type { Step } from '../step';
import { filesDrift, header, writeFiles, type FileSpec } from '../lib/files';
import { enableNow, unitsDown } from '../lib/systemd';

export const MSMTPRC = '/etc/firstboot-msmtprc';
const TIMER = 'firstboot-report.timer';

function files(p: ReportPlan): FileSpec[] {
  const { smtp } = p;
  const msmtprc = [
    'account firstboot',
    `host ${smtp.host}`,
    `port ${smtp.port}`,
    'tls on',
    `tls_starttls ${smtp.tls === 'starttls' ? 'on' : 'off'}`,
    'tls_trust_file /etc/ssl/certs/ca-certificates.crt',
    // a server that stops answering fails the send instead of holding the timer's run forever
    'timeout 60',
    `from ${p.from}`,
    ...(smtp.user ? ['auth on', `user ${smtp.user}`] : ['auth off']),
    ...(smtp.password ? [`passwordeval cat ${SERVER_PATHS.secrets}/${smtp.password}`] : []),
    'account default : firstboot',
  ];
  return [
    {
      path: MSMTPRC,
      content: header("the daily report's mail account") + msmtprc.map((l) => `${l}\n`).join(''),
      mode: 0o600,
    },
    {
      path: '/etc/systemd/system/firstboot-report.service',
      // the report goes out by mail: it waits for the network
      content:
        `${header('the daily security report')}[Unit]\nDescription=firstboot: the daily security report\n` +
        `Wants=network-online.target\nAfter=network-online.target\n\n` +
        `[Service]\nType=oneshot\nExecStart=${SERVER_PATHS.command} report --now\n`,
      mode: 0o644,
    },
    {
      // Persistent: a server that was off at that time sends it when it is up again
      path: `/etc/systemd/system/${TIMER}`,
      content:
        `${header('the daily security report')}[Unit]\n` +
        `Description=firstboot: the daily security report at ${p.time}\n\n` +
        `[Timer]\nOnCalendar=*-*-* ${p.time}:00\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n`,
      mode: 0o644,
    },
  ];
}

export const report: Step<'report'> = {
  id: 'report',
  after: ['packages'],
  async check({ params, $, fs, secret }) {
    if (params.smtp.password) await secret(params.smtp.password);
    return [...(await filesDrift(fs, files(params))), ...(await unitsDown($, [TIMER]))];
  },
  async apply({ params, $, fs }) {
    if (await writeFiles(fs, files(params))) await $`systemctl daemon-reload`;
    await enableNow($, TIMER);
  },
  async verify({ $ }) {
    const problems = await unitsDown($, [TIMER]);
    if (!(await $({ nothrow: true })`msmtp --version`).ok) problems.push('msmtp does not run');
    return problems;
  },
};
