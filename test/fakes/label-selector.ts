// Hetzner's label selector: comma-separated terms that must all hold; each term is `k`, `!k`,
// `k=v`, `k==v`, `k!=v`, `k in (a,b)` or `k notin (a,b)`.

export function parseLabelSelector(selector: string): ((labels: Record<string, string>) => boolean) | Error {
  const terms = splitTerms(selector);
  const tests: ((labels: Record<string, string>) => boolean)[] = [];
  for (const term of terms) {
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=,()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      tests.push(
        op === 'in' ? (l) => key in l && values.includes(l[key]!) : (l) => !(key in l && values.includes(l[key]!)),
      );
    } else if ((m = /^([^\s!=,()]+)\s*(==|=|!=)\s*([^\s!=,()]*)$/.exec(term))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      tests.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((m = /^!([^\s!=,()]+)$/.exec(term))) {
      const key = m[1]!;
      tests.push((l) => !(key in l));
    } else if ((m = /^([^\s!=,()]+)$/.exec(term))) {
      const key = m[1]!;
      tests.push((l) => key in l);
    } else {
      return new Error(`invalid label selector term '${term}'`);
    }
  }
  return (labels) => tests.every((t) => t(labels));
}

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += char;
  }
  terms.push(current.trim());
  return terms.filter((t) => t !== '');
}
