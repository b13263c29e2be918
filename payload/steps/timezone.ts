// The system time zone: /etc/localtime points into the zone database (what timedatectl writes, without
// needing dbus, which minimal images lack), and Debian's /etc/timezone names it.
import type { Step } from '../step';
import { fileDrift, writeFile } from '../lib/files';

const zoneFile = (zone: string) => `/usr/share/zoneinfo/${zone}`;
const timezoneFile = (zone: string) => ({ path: '/etc/timezone', content: `${zone}\n`, mode: 0o644 });

export const timezone: Step<'timezone'> = {
  id: 'timezone',
  after: [],
  async check({ params, fs }) {
    const drift: string[] = [];
    const link = await fs.readlink('/etc/localtime');
    if (link !== zoneFile(params.timezone))
      drift.push(`/etc/localtime points to ${link ?? 'nothing'}, wants ${zoneFile(params.timezone)}`);
    return [...drift, ...(await fileDrift(fs, timezoneFile(params.timezone)))];
  },
  async apply({ params, fs }) {
    if (!(await fs.stat(zoneFile(params.timezone))))
      throw new Error(`unknown time zone ${params.timezone}: ${zoneFile(params.timezone)} is missing`);
    await fs.symlink(zoneFile(params.timezone), '/etc/localtime');
    await writeFile(fs, timezoneFile(params.timezone));
  },
  async verify({ params, $ }) {
    // date(1) resolves /etc/localtime the way every program on the machine will
    const zone = (await $`date +%Z`).stdout.trim();
    const expected = (await $({ nothrow: true })`env TZ=${params.timezone} date +%Z`).stdout.trim();
    return zone === expected ? [] : [`local time zone is ${zone}, wants ${params.timezone} (${expected})`];
  },
};
