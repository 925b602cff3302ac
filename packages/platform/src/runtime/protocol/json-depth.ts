/**
 * How deep JSON nests, measured without recursion: what crosses a boundary (a request body, a
 * protocol line, an execution input) is refused past a depth, before anything recursive (V8's
 * JSON.stringify, a deep walk) can overflow the stack on it.
 */

/**
 * Whether JSON text nests deeper than `max` (objects and arrays), in one pass over the text;
 * strings are skipped with indexOf. Meaningful for valid JSON; harmless on anything else.
 */
export function textDeeperThan(text: string, max: number): boolean {
  // Nesting n takes 2n brackets: short text cannot be deep (every small message stops here).
  if (text.length <= 2 * max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = closingQuote(text, i);
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Index of the quote that closes the string opened at `open` (or the end of the text). */
function closingQuote(text: string, open: number): number {
  for (let q = text.indexOf('"', open + 1); q !== -1; q = text.indexOf('"', q + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q;
  }
  return text.length;
}

/** Whether a value nests deeper than `max` (a top-level object or array is depth 1). */
export function valueDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: Array<{ v: object; d: number }> = [{ v: value, d: 1 }];
  while (stack.length) {
    const { v, d } = stack.pop()!;
    if (d > max) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v))
      if (x !== null && typeof x === 'object') stack.push({ v: x as object, d: d + 1 });
  }
  return false;
}
