/** One change that must make a fast test fail: `from` (found exactly once in `file`) becomes `to`. */
export interface Mutant {
  kind: 'lockout' | 'secret' | 'retry' | 'policy';
  what: string;
  file: string;
  from: string;
  to: string;
}
