/**
 * Positions for validation issues: parse YAML keeping source ranges, then map a field path
 * (as zod reports it) back to the line and column of the key or value it names.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
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
  const refuse = (issue: Omit<Issue, 'file'>): ParsedYaml => ({ doc: parseDocument(''), lines, value: undefined, issues: [{ file, ...issue }] });

  if (text.length > YAML_LIMITS.maxChars) {
    return refuse({ line: 1 + lineOffset, column: 1, message: `YAML document is larger than ${YAML_LIMITS.maxChars / 1024} Ki characters (${text.length})`, hint: `keep it under ${YAML_LIMITS.maxChars / 1024} KiB: long text belongs in SKILL.md's body or in files of the skill` });
  }
  const deep = nestingPastLimit(text, YAML_LIMITS.maxDepth);
  if (deep !== undefined) {
    const line = text.slice(0, deep).split('\n').length;
    return refuse({ line: line + lineOffset, column: deep - text.lastIndexOf('\n', deep - 1), message: `YAML nested more than ${YAML_LIMITS.maxDepth} levels deep`, hint: 'flatten the structure; no setting needs this depth' });
  }

  // uniqueKeys: the parser compares each key with every earlier one (quadratic); duplicateKeys is linear.
  // logLevel: the library's warnings (e.g. a collection as a key) would go to the platform's stderr, worded by the author.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, logLevel: 'error' });
  const issues: Issue[] = doc.errors.map((e) => ({ file, ...at(e.pos[0]), message: `YAML syntax: ${e.message.split('\n')[0]}`, hint: SYNTAX_HINT }));
  issues.push(...duplicateKeys(doc).map((d) => ({ file, ...at(d.offset), message: `YAML syntax: Map keys must be unique; ${JSON.stringify(d.key)} is repeated`, hint: 'remove one of the duplicate keys' })));
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (issues.length) return { doc, lines, value: undefined, issues };
  try {
    return { doc, lines, value: doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount }), issues };
  } catch (e) {
    // The yaml library refuses an alias bomb with a ReferenceError; anything else is a bug to see.
    if (!(e instanceof ReferenceError)) throw e;
    return { doc, lines, value: undefined, issues: [{ file, ...at(firstAlias(doc) ?? 0), message: `YAML aliases expand past ${YAML_LIMITS.maxAliasCount} nodes: ${e.message}`, hint: 'write the values out, or use fewer and smaller anchors' }] };
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

function firstAlias(doc: Document.Parsed): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
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
