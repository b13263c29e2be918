// The report's mail server for the VM tests: test/vm/smtp.py under python3, with a CA and a server
// certificate for smtp.test made here by openssl; the guest trusts the CA like any other.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = new URL('./smtp.py', import.meta.url).pathname;

export interface Smtp {
  port: number;
  /** the CA certificate (PEM) the guest must trust */
  ca: string;
  /** each accepted mail, as received */
  mails(): string[];
  /** what the server printed (auth ok / refused) */
  log: string[];
  close(): void;
}

export async function startSmtp(hostname: string, user: string, password: string): Promise<Smtp> {
  const dir = mkdtempSync(join(tmpdir(), 'firstboot-smtp-'));
  const out = join(dir, 'mails');
  mkdirSync(out);
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=DNS:${hostname}\nextendedKeyUsage=serverAuth\n`);
  ssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:3072',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=firstboot test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ]);
  ssl([
    'req',
    '-newkey',
    'rsa:3072',
    '-nodes',
    '-subj',
    `/CN=${hostname}`,
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  ]);
  ssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    'server.pem',
    '-extfile',
    'server.ext',
  ]);
  const port = await new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as AddressInfo;
      s.close(() => res(p));
    });
  });
  // Debian's own python3, which has Debian's aiosmtpd (a python3 earlier on PATH may not)
  const child = spawn(
    '/usr/bin/python3',
    [SCRIPT, String(port), join(dir, 'server.pem'), join(dir, 'server.key'), out],
    {
      env: { ...process.env, SMTP_USER: user, SMTP_PASSWORD: password },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log: string[] = [];
  await new Promise<void>((res, rej) => {
    child.stdout.on('data', (d: Buffer) => {
      log.push(...d.toString().trim().split('\n'));
      if (log.includes('ready')) res();
    });
    child.stderr.on('data', (d: Buffer) => log.push(d.toString()));
    child.on('exit', (code) => rej(new Error(`smtp.py exited ${code}: ${log.join('\n')}`)));
  });
  return {
    port,
    log,
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    mails: () =>
      readdirSync(out)
        .sort()
        .map((f) => readFileSync(join(out, f), 'utf8')),
    close: () => void child.kill(),
  };
}
