// `[TIMESTAMP] [LEVEL] message` lines to /var/log/firstboot.log and to stdout, which systemd sends to the
// journal and the console. LOG_LEVEL (DEBUG, INFO, WARN, ERROR) picks the lowest level written.
import { appendFileSync } from 'node:fs';

const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
type Level = (typeof LEVELS)[number];

export interface Log {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function makeLog(write: (line: string) => void, minimum = process.env.LOG_LEVEL): Log {
  const floor = Math.max(0, LEVELS.indexOf((minimum ?? 'INFO').toUpperCase() as Level));
  const at = (level: Level) => (message: string) => {
    if (LEVELS.indexOf(level) >= floor) write(`[${new Date().toISOString()}] [${level}] ${message}`);
  };
  return { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

/** The log file is 0600: step messages can name users and paths, nothing for other local users. */
export function serverLog(file = '/var/log/firstboot.log', print: (line: string) => void = console.log): Log {
  return makeLog((line) => {
    print(line);
    appendFileSync(file, line + '\n', { mode: 0o600 });
  });
}
