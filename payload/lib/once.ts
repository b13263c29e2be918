// Readings that cannot change while a run lasts, taken once a run rather than at each of its check,
// apply, second check and verify: on a busy first boot each process costs a fraction of a second.
import type { Shell } from './shell';

const taken = new WeakMap<Shell, Map<string, Promise<unknown>>>();

/** `read()`'s answer, asked the first time this run's shell asks for `key` */
export function once<T>($: Shell, key: string, read: () => Promise<T>): Promise<T> {
  const readings = taken.get($) ?? taken.set($, new Map()).get($)!;
  if (!readings.has(key)) readings.set(key, read());
  return readings.get(key) as Promise<T>;
}
