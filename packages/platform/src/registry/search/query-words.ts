/**
 * Splits a free-text request into words for the SQL side, which stems them with the 'english'
 * config. Everything that isn't a letter, digit, '-' or '_' is a separator, so tsquery syntax
 * (& | ! : * ( ) quotes, backslashes) can never reach the query parser; lexemes are quoted again
 * in SQL before the tsquery cast.
 */
export const MAX_QUERY_WORDS = 32;

export function queryWords(query: string): string[] {
  const seen = new Set<string>();
  for (const raw of String(query ?? '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}_-]+/u)) {
    const w = raw.replace(/^[-_]+|[-_]+$/g, '').slice(0, 64);
    if (w) seen.add(w);
    if (seen.size >= MAX_QUERY_WORDS) break;
  }
  return [...seen];
}
