// What a test that runs a real tool (zsh, cloud-init, sshd, gpg, ...) calls before it: a missing tool fails
// the test with one sentence naming scripts/test-deps and the Debian package, not with a spawn error (ENOENT)
// further down. Called in a test or its helper, never at a file's top level or in a before hook, where a throw
// would stop the whole uvu run.
import { accessSync, constants, statSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';

/** whether `tool` runs: a name looked up on PATH as spawn looks it up, or a path */
function runnable(tool: string): boolean {
  const files = tool.includes('/')
    ? [tool]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, tool));
  return files.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/** the sentence for `tool` when it is not installed, undefined when it is */
export function missing(tool: string, debianPackage: string): string | undefined {
  if (runnable(tool)) return undefined;
  return `${basename(tool)} is not installed: run "sudo scripts/test-deps" (Debian package ${debianPackage})`;
}

/** Fails the test calling it, with that one sentence, when `tool` is not installed. */
export function needs(tool: string, debianPackage: string): void {
  const sentence = missing(tool, debianPackage);
  if (sentence === undefined) return;
  const error = new Error(sentence);
  error.stack = sentence; // uvu prints a stack's lines after the message: none
  throw error;
}
