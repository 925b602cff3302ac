import { createHash } from 'node:crypto';

/**
 * Deterministic stand-in for an embedding model: a hashed bag of lower-cased word stems,
 * L2-normalised. Texts sharing words get a positive cosine; no network, no weights.
 */
export const DIMENSIONS = 256;

const STOPWORDS = new Set(
  'a an and are as at be by do for from has have i in is it me my not of on or our so that the this to use we when with you your'.split(
    ' ',
  ),
);

/** Crude suffix stripping: enough for "payments"/"payment", "blocking"/"block". */
export function stem(word: string): string {
  for (const suffix of ['ations', 'ation', 'ings', 'ing', 'ies', 'ed', 'es', 's']) {
    if (word.length > suffix.length + 2 && word.endsWith(suffix)) return word.slice(0, -suffix.length);
  }
  return word;
}

export function embedText(text: string, dims = DIMENSIONS): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const w of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (!w || STOPWORDS.has(w)) continue;
    const h = createHash('sha256').update(stem(w)).digest();
    const i = h.readUInt32LE(0) % dims;
    v[i]! += h[4]! & 1 ? 1 : -1;
  }
  const norm = Math.hypot(...v);
  return norm === 0 ? v : v.map((x) => x / norm);
}

/** Rough token count for the usage block (OpenAI counts BPE tokens; words are close enough). */
export function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
