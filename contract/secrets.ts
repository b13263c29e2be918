// What a secret's value must be for the option that names it: the CLI checks it before sending it, and
// the payload again before using it, since a file in the secrets folder may come from elsewhere
// (an upload cut short, a hand edit).

/** undefined when the value will do; never quotes the value. */
export function secretProblem(use: { name: string; option: string }, value: string): string | undefined {
  if (value === '') return `secret ${use.name} is empty`;
  if (use.option === 'admin.password') {
    if ([...value].length < 12)
      return (
        `secret ${use.name} is the admin's console password (${use.option}): at least 12 characters, ` +
        `got ${[...value].length}`
      );
    if (/[\x00-\x1f\x7f]/.test(value))
      return (
        `secret ${use.name} is the admin's console password (${use.option}): no line breaks or other ` +
        `control characters`
      );
  }
  return undefined;
}
