/**
 * Derives packages/platform/data/word-vectors/common.json: the word table's dominant principal
 * directions, which discovery's sentence vectors project out (word-vectors.ts, COMMON_DIRECTIONS).
 * Run after scripts/derive-word-vectors.mjs changes the table:
 *   npx tsx scripts/derive-word-vector-directions.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  COMMON_DIRECTIONS,
  principalDirections,
  WORD_VECTORS_DIR,
} from '../packages/platform/src/registry/search/word-vectors.ts';

const bytes = readFileSync(`${WORD_VECTORS_DIR}/vectors.i8`);
const words = readFileSync(`${WORD_VECTORS_DIR}/words.txt`, 'utf8').split('\n').filter(Boolean).length;
const dirs = principalDirections(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length), words, COMMON_DIRECTIONS);
// 6 significant digits: the file stays small and diffable; the projection does not need more.
const json = `[\n${dirs.map((d) => `  [${Array.from(d, (x) => Number(x.toPrecision(6))).join(', ')}]`).join(',\n')}\n]\n`;
writeFileSync(`${WORD_VECTORS_DIR}/common.json`, json);
console.log(`${dirs.length} directions over ${words} words → common.json`);
