/**
 * Positions for validation issues: parse YAML keeping source ranges, then map a field path
 * (as zod reports it) back to the line and column of the key or value it names.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Issue } from '../errors/index.ts';

export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
  /** YAML syntax errors (duplicate keys included), already positioned. */
  issues: Issue[];
}

export function parseYaml(text: string, file: string, lineOffset = 0): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const issues: Issue[] = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return {
      file,
      line: pos.line + lineOffset,
      column: pos.col,
      message: `YAML syntax: ${e.message.split('\n')[0]}`,
      hint: e.code === 'DUPLICATE_KEY' ? 'remove one of the duplicate keys' : 'fix the YAML syntax (indentation, quotes, colons)',
    };
  });
  return { doc, lines, value: issues.length ? undefined : doc.toJS(), issues };
}

/** Line/column of the node at `path`; for `keyOf`, the position of that key inside the map at `path`. */
export function locate(
  parsed: ParsedYaml,
  path: ReadonlyArray<PropertyKey>,
  keyOf?: string,
  lineOffset = 0,
): { line: number; column: number } | undefined {
  let node: unknown = parsed.doc.contents;
  let lastGood: unknown = node;
  let keyNode: unknown;
  for (const seg of path) {
    const next = child(node, seg);
    if (!next) break;
    keyNode = next.key;
    node = next.value;
    lastGood = next.value ?? next.key;
  }
  if (keyOf !== undefined) {
    const k = child(node, keyOf);
    if (k?.key) lastGood = k.key;
  } else if (node === undefined && keyNode) {
    lastGood = keyNode;
  }
  const range = (lastGood as Node | undefined)?.range;
  if (!range) return undefined;
  const pos = parsed.lines.linePos(range[0]);
  return { line: pos.line + lineOffset, column: pos.col };
}

function child(node: unknown, seg: PropertyKey): { key: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    for (const item of node.items) {
      if (isPair(item) && isScalar(item.key) && String(item.key.value) === String(seg)) {
        return { key: item.key, value: item.value };
      }
    }
    return undefined;
  }
  if (isSeq(node) && typeof seg === 'number') {
    const v = node.items[seg];
    return v === undefined ? undefined : { key: v, value: v };
  }
  return undefined;
}
