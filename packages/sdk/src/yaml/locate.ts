/**
 * Positions for validation issues: parse YAML keeping source ranges, then map a field path
 * (as zod reports it) back to the line and column of the key or value it names.
 */
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
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
  if (issues.length) return { doc, lines, value: undefined, issues };
  const at = (n: Node | undefined) => {
    const pos = n?.range ? lines.linePos(n.range[0]) : undefined;
    return pos ? { line: pos.line + lineOffset, column: pos.col } : {};
  };
  try {
    const cycle = aliasCycle(doc);
    if (cycle) {
      return { doc, lines, value: undefined, issues: [{ file, ...at(cycle), message: `YAML alias *${cycle.source} refers to a node that contains it`, hint: 'a configuration is a tree: write the value out instead of an alias to its own parent' }] };
    }
    // toJS is where the parser's alias limit (billion laughs) and unresolved aliases throw.
    return { doc, lines, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), issues };
  } catch (e) {
    const msg = e instanceof Error ? e.message : '';
    const message = /resource exhaustion/.test(msg)
      ? 'YAML aliases expand too much (an alias bomb): refused'
      : /Unresolved alias/.test(msg)
        ? `YAML syntax: ${msg.split('\n')[0]}`
        : e instanceof RangeError
          ? 'YAML document is nested too deeply to read'
          : `YAML document cannot be read: ${msg.split('\n')[0]}`;
    const hint = e instanceof ReferenceError ? 'write the values out instead of repeating aliases (*name) of anchors (&name)' : 'flatten the document';
    return { doc, lines, value: undefined, issues: [{ file, ...at(e instanceof ReferenceError ? firstAlias(doc) : undefined), message, hint }] };
  }
}

/** The yaml library's own default; named so the limit is visible here. */
const MAX_ALIAS_COUNT = 100;

function firstAlias(doc: Document.Parsed): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, { Alias: (_k, n) => { found = n; return visit.BREAK; } });
  return found;
}

/** An alias inside the node its anchor names: toJS builds a cyclic value that JSON (the record, the API) cannot write. */
function aliasCycle(doc: Document.Parsed): Alias | undefined {
  // The yaml library resolves an alias to the last node before it with that anchor, in document order.
  const anchored = new Map<string, Node>();
  let found: Alias | undefined;
  visit(doc, (_k, node, path) => {
    if (isAlias(node)) {
      const source = anchored.get(node.source);
      if (source && path.includes(source)) {
        found = node;
        return visit.BREAK;
      }
    } else if (isNode(node) && node.anchor) {
      anchored.set(node.anchor, node);
    }
    return undefined;
  });
  return found;
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
