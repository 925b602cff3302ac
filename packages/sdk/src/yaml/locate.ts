/**
 * Positions for validation issues: parse YAML keeping source ranges, then map a field path
 * (as zod reports it) back to the line and column of the key or value it names.
 */
import {
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node,
} from 'yaml';
import type { Issue } from '../errors/index.ts';
import { nestingPastLimit, YAML_LIMITS } from './limits.ts';

export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
  /** YAML syntax errors (duplicate keys included), already positioned. */
  issues: Issue[];
}

const SYNTAX_HINT = 'fix the YAML syntax (indentation, quotes, colons)';

export function parseYaml(text: string, file: string, lineOffset = 0): ParsedYaml {
  const lines = new LineCounter();
  const at = (offset: number) => {
    const pos = lines.linePos(offset);
    return { line: pos.line + lineOffset, column: pos.col };
  };
  const refuse = (issue: Omit<Issue, 'file'>): ParsedYaml => ({
    doc: parseDocument(''),
    lines,
    value: undefined,
    issues: [{ file, ...issue }],
  });

  if (text.length > YAML_LIMITS.maxChars) {
    return refuse({
      line: 1 + lineOffset,
      column: 1,
      message: `YAML document is larger than ${YAML_LIMITS.maxChars / 1024} Ki characters (${text.length})`,
      hint: `keep it under ${YAML_LIMITS.maxChars / 1024} KiB: long text belongs in SKILL.md's body or in files of the skill`,
    });
  }
  const deep = nestingPastLimit(text, YAML_LIMITS.maxDepth);
  if (deep !== undefined) {
    const line = text.slice(0, deep).split('\n').length;
    return refuse({
      line: line + lineOffset,
      column: deep - text.lastIndexOf('\n', deep - 1),
      message: `YAML nested more than ${YAML_LIMITS.maxDepth} levels deep`,
      hint: 'flatten the structure; no setting needs this depth',
    });
  }

  // uniqueKeys: the parser compares each key with every earlier one (quadratic); duplicateKeys is linear.
  // logLevel: the library's warnings (e.g. a collection as a key) would go to the platform's stderr, worded by the author.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, logLevel: 'error' });
  const issues: Issue[] = doc.errors.map((e) => ({
    file,
    ...at(e.pos[0]),
    message: `YAML syntax: ${e.message.split('\n')[0]}`,
    hint: SYNTAX_HINT,
  }));
  issues.push(
    ...duplicateKeys(doc).map((d) => ({
      file,
      ...at(d.offset),
      message: `YAML syntax: Map keys must be unique; ${JSON.stringify(d.key)} is repeated`,
      hint: 'remove one of the duplicate keys',
    })),
  );
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (issues.length) return { doc, lines, value: undefined, issues };
  const node = (n: Node | undefined) => (n?.range ? at(n.range[0]) : {});
  const cycle = aliasCycle(doc);
  if (cycle) {
    return {
      doc,
      lines,
      value: undefined,
      issues: [
        {
          file,
          ...node(cycle),
          message: `YAML alias *${cycle.source} refers to a node that contains it`,
          hint: 'a configuration is a tree: write the value out instead of an alias to its own parent',
        },
      ],
    };
  }
  try {
    // toJS is where the parser's alias limit (billion laughs) and unresolved aliases throw.
    return { doc, lines, value: doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount }), issues };
  } catch (e) {
    // Anything but the parser's refusals is a bug to see.
    if (!(e instanceof ReferenceError) && !(e instanceof RangeError)) throw e;
    const msg = e.message.split('\n')[0] ?? '';
    const message = /Unresolved alias/.test(msg)
      ? `YAML syntax: ${msg}`
      : e instanceof RangeError
        ? 'YAML document is nested too deeply to read'
        : `YAML aliases expand too much (an alias bomb, past ${YAML_LIMITS.maxAliasCount} nodes): refused`;
    const hint =
      e instanceof RangeError
        ? 'flatten the document'
        : 'write the values out instead of repeating aliases (*name) of anchors (&name)';
    return {
      doc,
      lines,
      value: undefined,
      issues: [{ file, ...node(e instanceof ReferenceError ? firstAlias(doc) : undefined), message, hint }],
    };
  }
}

/** Repeated keys of every map (scalar keys compared as the JS object keys they become). */
function duplicateKeys(doc: Document.Parsed): { key: string; offset: number }[] {
  const out: { key: string; offset: number }[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const item of map.items) {
        if (!isScalar(item.key)) continue;
        const k = String(item.key.value);
        if (seen.has(k)) out.push({ key: k, offset: item.key.range?.[0] ?? 0 });
        seen.add(k);
      }
    },
  });
  return out;
}

function firstAlias(doc: Document.Parsed): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias: (_k, n) => {
      found = n;
      return visit.BREAK;
    },
  });
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
