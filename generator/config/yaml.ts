// YAML with positions. js-yaml 4 returns plain values; its `listener` option reports each node's
// open and close, from which we rebuild a tree that maps every path to where its key and value sit.
// What the events look like (checked against js-yaml 4.3):
// - a node opens where the previous token ended, so before spaces, newlines or a comment: the node's
//   first character is found by skipping those;
// - a node closes after its trailing spaces, so its end is trimmed back;
// - a mapping's children alternate key, value; block sequence items arrive wrapped twice (an outer
//   node with one child holding the very same result), which we collapse.
import yaml from 'js-yaml';
import type { Path } from './dsl';

export interface Span {
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
  /** characters to underline on that line, at least 1 */
  length: number;
}

export interface Located {
  key?: Span;
  value: Span;
}

export type YamlResult =
  | { ok: true; value: unknown; locate: (path: Path) => Located | undefined }
  | { ok: false; message: string; span?: Span };

interface Node {
  start: number;
  end: number;
  kind: string | null;
  result: unknown;
  children: Node[];
}

interface ListenerState {
  position: number;
  kind: string | null;
  result: unknown;
}

/** CORE_SCHEMA: YAML 1.2's types only, so `reboot: 2024-01-01` stays a string, not a Date. */
export function parseYaml(text: string): YamlResult {
  const stack: Node[] = [];
  const roots: Node[] = [];
  const listener = (event: 'open' | 'close', state: ListenerState) => {
    if (event === 'open') {
      stack.push({ start: state.position, end: state.position, kind: null, result: undefined, children: [] });
      return;
    }
    let node = stack.pop()!;
    node.end = state.position;
    node.kind = state.kind;
    node.result = state.result;
    const only = node.children.length === 1 ? node.children[0] : undefined;
    if (only && only.result === node.result && only.kind === node.kind) node = only;
    (stack.length ? stack[stack.length - 1].children : roots).push(node);
  };
  let value: unknown;
  try {
    value = yaml.load(text, { schema: yaml.CORE_SCHEMA, listener } as yaml.LoadOptions);
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      const mark = err.mark as { line?: number; column?: number } | undefined;
      const span =
        mark && typeof mark.line === 'number' && typeof mark.column === 'number'
          ? { line: mark.line + 1, column: mark.column + 1, length: 1 }
          : undefined;
      return { ok: false, message: err.reason, span };
    }
    throw err;
  }
  const lines = lineStarts(text);
  const root = roots[roots.length - 1];
  const spanOf = (node: Node) => span(text, lines, node);
  return {
    ok: true,
    value,
    locate(path) {
      if (!root) return undefined;
      let node = root;
      let keyNode: Node | undefined;
      for (const step of path) {
        const found = child(node, step);
        if (!found) return undefined;
        [keyNode, node] = found;
      }
      return { key: keyNode && spanOf(keyNode), value: spanOf(node) };
    },
  };
}

function child(node: Node, step: string | number): [Node | undefined, Node] | undefined {
  if (node.kind === 'sequence') {
    const item = typeof step === 'number' ? node.children[step] : undefined;
    return item && [undefined, item];
  }
  if (node.kind === 'mapping') {
    // Later duplicates win in js-yaml only when allowed (json: true); scan from the end either way.
    for (let i = node.children.length - 2; i >= 0; i -= 2) {
      if (String(node.children[i].result) === String(step)) return [node.children[i], node.children[i + 1]];
    }
  }
  return undefined;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function span(text: string, starts: number[], node: Node): Span {
  let start = node.start;
  // Skip what lies between the previous token and this node: blanks, line breaks, comments.
  for (;;) {
    const ch = text[start];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') start++;
    else if (ch === '#') while (start < text.length && text[start] !== '\n') start++;
    else break;
  }
  let end = Math.max(start, node.end);
  while (end > start && /\s/.test(text[end - 1])) end--;
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1] <= start) line++;
  const lineEnd = line + 1 < starts.length ? starts[line + 1] - 1 : text.length;
  if (end > lineEnd) {
    // A block collection or a multi-line scalar: underline its first line, without a comment.
    const first = text
      .slice(start, lineEnd)
      .replace(/\s+#.*$/, '')
      .trimEnd();
    end = start + first.length;
  }
  return { line: line + 1, column: start - starts[line] + 1, length: Math.max(1, end - start) };
}
