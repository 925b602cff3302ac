/**
 * Bounds on YAML that skill authors write: parsed on the platform's event loop, so what a
 * document may cost (size, nesting, alias expansion) and what its problems may grow into (issues)
 * is capped. docs/skill-format.md states the limits.
 */
import { CST, Lexer } from 'yaml';
import type { Issue } from '../errors/index.ts';

export const YAML_LIMITS = Object.freeze({
  /** Characters of one document (the examples are under 4 Ki; parsing costs ~3 µs a character). */
  maxChars: 128 * 1024,
  /** Nesting of collections; the parser recurses per level and overflows the stack in the thousands. */
  maxDepth: 64,
  /** The yaml library's own default, named: how far aliases may expand. */
  maxAliasCount: 100,
  /** Issues reported per document; one more says how many were left out. */
  maxIssues: 50,
  /** Characters of an issue's message or hint (they may quote what they complain about). */
  maxIssueChars: 300,
});

const CONTROL = new Set([CST.DOCUMENT, CST.FLOW_END]);

/**
 * Offset at which the nesting of `text` passes `max`, from the lexer's tokens alone (the lexer
 * does not recurse; the parser and composer do). Over-estimates rather than under: each open
 * flow bracket, each deeper block indentation and each `- `, `? ` or `:` on one line (in flow:
 * in one item) counts a level.
 */
export function nestingPastLimit(text: string, max: number): number | undefined {
  let offset = 0;
  let flow = 0;
  const indents: number[] = [];
  let lineStart = true;
  let lineIndent = 0;
  let onLine = 0;
  let inItem = 0;
  let scalarNext = false;
  const content = () => {
    if (!lineStart) return;
    lineStart = false;
    if (flow > 0) return;
    while (indents.length && indents[indents.length - 1]! >= lineIndent) indents.pop();
    indents.push(lineIndent);
  };
  const newLine = () => {
    lineStart = true;
    lineIndent = 0;
    onLine = 0;
  };
  for (const tok of new Lexer().lex(text)) {
    if (tok === CST.SCALAR) {
      scalarNext = true;
      continue;
    }
    if (CONTROL.has(tok)) continue;
    if (scalarNext) {
      // A scalar's source, whatever it starts with (a block scalar's body starts with spaces).
      scalarNext = false;
      content();
      offset += tok.length;
      if (tok.endsWith('\n')) newLine();
      continue;
    }
    switch (CST.tokenType(tok)) {
      case 'newline':
        newLine();
        break;
      case 'space':
        if (lineStart) lineIndent = tok.length;
        break;
      case 'byte-order-mark':
      case 'comment':
      case 'directive-line':
      case 'doc-end':
        break;
      case 'doc-start':
        indents.length = 0;
        flow = 0;
        break;
      case 'flow-map-start':
      case 'flow-seq-start':
        content();
        flow++;
        inItem = 0;
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        flow = Math.max(0, flow - 1);
        inItem = 0;
        break;
      case 'comma':
        inItem = 0;
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
      case 'map-value-ind':
        // The parser nests a map for each `k:` of `a: b: c` (an error it recovers from) as it does for `- - -`.
        content();
        if (flow === 0) onLine++;
        else inItem++;
        break;
      default:
        content();
    }
    if (indents.length + onLine + flow + inItem > max) return offset;
    offset += tok.length;
  }
  return undefined;
}

export function clipText(s: string, max: number = YAML_LIMITS.maxIssueChars): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * At most maxIssues issues, each message and hint clipped; a last one says how many were left
 * out of `total` (the problems found, when fewer were turned into issues).
 */
export function boundIssues(issues: Issue[], file: string, total = issues.length): Issue[] {
  const clip = (i: Issue): Issue => ({
    ...i,
    message: clipText(i.message),
    ...(i.hint !== undefined ? { hint: clipText(i.hint) } : {}),
  });
  const shown = issues.slice(0, YAML_LIMITS.maxIssues).map(clip);
  const more = Math.max(total, issues.length) - shown.length;
  if (more <= 0) return shown;
  return [
    ...shown,
    { file, message: `${more} more problem${more === 1 ? '' : 's'} not shown`, hint: 'fix the ones above first' },
  ];
}
