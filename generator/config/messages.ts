// Every diagnostic firstboot's config layer can print, in one place so they stay consistent:
// lowercase, stating the rule or the fix, quoting what was given.

/** A value as the user wrote it: strings quoted, collections named. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  return String(value);
}

/** Like show(), but says "string" so `port: "22"` does not read as the number it looks like. */
function describe(value: unknown): string {
  return typeof value === 'string' ? `string ${JSON.stringify(value)}` : show(value);
}

export const mustBe = (expect: string, value: unknown) => `must be ${expect}, got ${show(value)}`;
export const wrongType = (expect: string, value: unknown) => `must be ${expect}, got ${describe(value)}`;

export const unknownKey = (key: string, allowed: readonly string[], suggestion: string | undefined) =>
  suggestion !== undefined
    ? `unknown key ${JSON.stringify(key)}; did you mean ${JSON.stringify(suggestion)}?`
    : `unknown key ${JSON.stringify(key)}; allowed keys: ${allowed.join(', ')}`;

// -- what each kind of value must look like ("must be ...")

export const expectHostname =
  'an RFC 1123 hostname: dot-separated labels of a-z, 0-9 and "-" (1 to 63 characters, no "-" at either ' +
  'end), 253 characters at most';
export const hostnameLowercase = (given: string) =>
  `hostnames are lowercase here: use ${JSON.stringify(given.toLowerCase())}`;
export const expectTimezone = 'an IANA time zone name such as Europe/Paris or Etc/UTC';
export const unknownTimezone = (given: string) =>
  `unknown time zone ${JSON.stringify(given)}: use an IANA name such as Europe/Paris or Etc/UTC ` +
  `(timedatectl list-timezones shows them)`;
export const timezoneCase = (given: string, canonical: string) =>
  `time zone names are case-sensitive on the server: use ${JSON.stringify(canonical)}, not ${JSON.stringify(given)}`;
export const expectUserName = 'a user name: a lowercase letter or "_", then up to 31 of a-z, 0-9, "_" and "-"';
export const reservedUser = (name: string) =>
  name === 'root'
    ? 'the admin cannot be root: firstboot disables root login; choose your own name, such as "admin"'
    : `${JSON.stringify(name)} is a system account or group name; choose your own name, such as "admin"`;
export const expectKey = 'an ssh public key ("ssh-ed25519 AAAA... comment") or the path of a .pub file';
export const expectPort = 'an integer from 1 to 65535';
export const expectAllow = 'a port and protocol such as "443/tcp", or a range such as "8000:8100/tcp" (tcp or udp)';
export const expectRange = 'a UDP port range "FROM:TO" such as "60000:60010"';
export const portOutOfRange = (port: number) => `ports must be from 1 to 65535, got ${port}`;
export const rangeOrder = (from: number, to: number) =>
  `a range must go from a lower to a higher port, ` +
  `got ${from}:${to}${from === to ? `; for one port write ${from}` : ''}`;
export const expectDuration = 'a duration: a whole number and a unit s, m, h, d or w, such as 10m or 1h';
export const durationZero = (given: string) => `must be a duration longer than zero, got ${JSON.stringify(given)}`;
export const expectTimeOfDay = 'a time "HH:MM" from 00:00 to 23:59 (quote it)';
export const expectPackage =
  'a Debian package name: a-z and 0-9 first, then a-z, 0-9, "+", "-" and ".", 2 characters at least';

export const expectEmail = 'an email address such as ops@example.org';
export const reportNeeds = (missing: string[]) => `the report needs ${missing.join(' and ')}: where it goes and how`;
export const passwordNeedsUser = 'a password needs report.smtp.user: the login it belongs to';
export const context7Node = (need: string, image: string, has: string) =>
  `Context7 needs Node.js ${need} or later, and ${image} has ${has}: use --image debian-13, or set ` +
  `devtools.context7: false`;
export const expectCountry = 'a country code of two capital letters (ISO 3166-1 alpha-2), such as DE';
export const expectAddress = 'an IPv4 or IPv6 address or CIDR range, such as 203.0.113.7 or 2001:db8::/32';
export const notAnAddress = 'not an IPv4 or IPv6 address or a CIDR range of one';
export const badPrefix = (max: number) => `the prefix length must be from 0 to ${max}`;
export const expectPackageVersion = 'an npm package and its exact version, "NAME@VERSION"';
export const expectIntegrity = 'a sha512 integrity, "sha512-" and 88 characters of base64';
export const dataNeedsBoth = 'geoip.data needs both package and integrity: the package pinned by its sha512';
export const geoipNeedsCountries = 'GeoIP blocking needs geoip.countries: the countries that may reach SSH';
export const expectTag = 'a Tailscale tag, "tag:NAME" (NAME: a letter, then letters, digits and "-")';
export const expectFingerprint = 'an OpenPGP key fingerprint, 40 hex digits without spaces';
export const expectUrl = 'an http:// or https:// URL without a trailing slash';
export const tailscaleNeedsKey =
  'Tailscale needs tailscale.auth_key: "secret:NAME", the auth key given at firstboot apply or create --wait';
export const tailnetNeedsTailscale = 'ssh_via_tailnet_only needs tailscale.enabled: true';
export const tailnetNeedsConsole =
  'ssh_via_tailnet_only needs admin.password: "secret:NAME", a way back in through the Hetzner console: ' +
  'with SSH on the tailnet only, an expired node key or a tailnet ACL that drops port 22 leaves the ' +
  'console as the only way in';
export const context7NeedsClaude = 'Context7 is an MCP server for Claude Code: it needs devtools.claude: true';
export const gsdNeedsClaude =
  "GSD is a workflow for Claude Code, in the admin's ~/.claude: it needs devtools.claude: true";
export const expectSecret =
  'a secret\'s name, "secret:NAME" (NAME: a lowercase letter, then up to 31 of a-z, 0-9 and "_")';
export const secretInConfig = (given: string) =>
  given.startsWith('secret:')
    ? mustBe(expectSecret, given)
    : `a secret's value never sits in the config: write "secret:NAME" here and give the value when you run ` +
      `firstboot apply or create: --secret NAME=@FILE or --secret NAME=env:VAR`;

// -- ssh keys

export const sshKey = {
  empty: 'is empty: give an ssh public key such as "ssh-ed25519 AAAA... me@laptop"',
  privateKey:
    'this is a private key: never put it in a config; give the public key instead (the .pub file next to ' +
    'it, or ssh-keygen -y -f KEYFILE)',
  rfc4716: 'is an RFC 4716 (SSH2) public key: convert it to one OpenSSH line with ssh-keygen -i -f KEYFILE',
  withOptions: 'authorized_keys options are not accepted here: give the key alone, "TYPE BASE64 [COMMENT]"',
  notAKey: (start: string) =>
    `is not an ssh public key (expected "TYPE BASE64 [COMMENT]", ` +
    `such as "ssh-ed25519 AAAA... me@laptop"), got ${JSON.stringify(start)}`,
  unknownType: (type: string, known: readonly string[]) =>
    `unknown key type ${JSON.stringify(type)}; known types: ${known.join(', ')}`,
  missingBlob: (type: string) => `the ${type} key has no base64 part: copy the whole line of the .pub file`,
  badBase64: 'the key data is not valid base64: the key was cut or altered; copy the whole line of the .pub file again',
  truncated: 'the key data ends too early: the key was cut; copy the whole line of the .pub file again',
  typeMismatch: (declared: string, inner: string) =>
    `the line says ${declared} but the key data is ${JSON.stringify(inner)}: the line was edited or ` +
    `spliced from two keys`,
  badLength: (what: string, got: number, want: string) =>
    `the ${what} is ${got} bytes, ${want} expected: the key is damaged`,
  curveMismatch: (type: string, curve: string) =>
    `the ${type} key names curve ${JSON.stringify(curve)}: the key is damaged`,
  rsaTooShort: (bits: number, min: number) =>
    `rsa keys must have ${min} bits at least (sshd refuses shorter ones), this one has ${bits}: make a ` +
    `new key with ssh-keygen -t ed25519`,
  trailing: 'the key data has bytes after the key: the line was spliced or damaged',
};

export const keyFileUnreadable = (path: string, reason: string, missing: boolean) =>
  `cannot read key file ${path}: ${reason}` +
  (missing ? '; to make a key pair: ssh-keygen -t ed25519 (then name the .pub file)' : '');
export const keyFileEmpty = (path: string) => `key file ${path} is empty: give the .pub file of your key`;
export const keyFilePrivate = (path: string) =>
  `${path} is a private key: give the public key ` +
  `(${path.endsWith('.pub') ? 'ssh-keygen -y -f KEYFILE' : `${path}.pub`}) instead`;
export const optionPrivate = '--ssh-key holds a private key: give the .pub file (ssh-keygen -y -f KEYFILE prints it)';
export const keyInFile = (path: string, line: number, problem: string) => `${path} line ${line}: ${problem}`;
export const noKeys =
  'at least one ssh public key is required, or nobody can log in: list one in admin.ssh_keys or pass --ssh-key PATH';

// -- rules across options

export const allowsSshPort = (port: number) =>
  `opens the ssh port ${port}/tcp, which firstboot already opens with a rate limit: remove this entry`;
export const overlapsMosh = (range: string) =>
  `overlaps the mosh range ${range}/udp, which mosh already opens: remove this entry or move mosh.ports`;
export const duplicateAllow = (otherPath: string) => `repeats ${otherPath}: remove one of them`;
export const overlapAllow = (otherPath: string, other: string) =>
  `overlaps ${otherPath} (${other}): merge them into one entry`;

// -- files and syntax

export const yamlSyntax = (reason: string) => `invalid yaml: ${reason}`;
export const configUnreadable = (path: string, reason: string) => `cannot read config file ${path}: ${reason}`;
export const configNotUtf8 = (path: string, what: string) => `${path} is not UTF-8 text (${what}); save it as UTF-8`;
