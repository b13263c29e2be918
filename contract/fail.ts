// The one error type of firstboot's own failures: a sentence for the user and the exit code the CLI
// ends with (2: the input was wrong and nothing was done; 1: something failed on the way). The CLI
// prints `describe()` and exits in one place; anything else thrown is a bug and shows its stack.
export class Fail extends Error {
  /** bad arguments: the CLI shows the command's usage after the sentence */
  readonly usage: boolean;

  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    options: { cause?: unknown; usage?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'Fail';
    this.usage = options.usage ?? false;
  }

  /** What the CLI prints; a failure with more to show (config diagnostics, the size table) says it here. */
  describe(_options: { color: boolean }): string {
    return `error: ${this.message}`;
  }
}
