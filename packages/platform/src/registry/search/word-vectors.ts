/**
 * A semantic signal without a network: sentence vectors from word vectors shipped on disk
 * (data/word-vectors, GloVe-derived; README there). A text's vector is the SIF-weighted mean of its
 * words' vectors (Arora et al. 2017: weight a/(a + p(w)), p from the word's frequency rank), so
 * frequent words ("please", "the", "check") count little and rare, meaningful ones a lot; then,
 * as SIF's second step, the table's dominant directions are projected out (below, COMMON_DIRECTIONS).
 * It implements Embedder, so hybrid search fuses it with the lexical rank exactly as it fuses a
 * configured embeddings endpoint; being in-process, it is also `local` (cheap to recompute).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Embedder } from './embedder.ts';

export const WORD_VECTORS_DIR = fileURLToPath(new URL('../../../data/word-vectors/', import.meta.url));
const DIMENSIONS = 100;
/** SIF's smoothing constant a: tuned on the labelled set's tuning half (bench/discovery). */
const SIF_A = 1e-3;
/** Bounds on hostile input: characters read and words weighed per text. */
const MAX_TEXT_CHARS = 8_000;
const MAX_WORDS = 512;
/**
 * SIF's common-component removal ("all-but-the-top", Mu & Viswanath 2018): the first principal
 * directions of the word table encode frequency and register, not meaning, and make any two texts
 * look alike (cosines bunched at 0.5–0.8 for unrelated skills). Projecting them out of each
 * sentence vector spreads the cosines (unrelated ~0.26, the right skill ~0.52 at the median).
 * They are a property of the table, not of any catalogue: derived once over all its words
 * (scripts/derive-word-vector-directions.ts → common.json; ~1 s, so not at load). On the labelled
 * set's tuning half (bench/discovery), vector-only recall@5: 0 directions 0.584, 1 → 0.624,
 * 2 → 0.660, 3 → 0.645.
 */
export const COMMON_DIRECTIONS = 2;
/**
 * Function words and request boilerplate: SIF down-weights frequent words, but these still add up
 * over a description ("Use when someone asks …"); dropping them was +3 points of recall@5 on the
 * tuning half.
 */
const STOPWORDS = new Set(
  `a an the and or of to in on for with at by from is are was were be been it this that these those i me my
  we our you your he she they them their his her its can could would should will do does did have has had not
  no please what which who whom how why when where there here than then so if as about into up out any all some
  just need want get let use someone asks`.split(/\s+/),
);

interface Table {
  index: Map<string, number>;
  vectors: Int8Array;
  weights: Float32Array;
  /** Unit vectors of the table's dominant directions, projected out of every sentence vector. */
  common: Float64Array[];
}

export class WordVectorEmbedder implements Embedder {
  /** Stored beside each vector; changes whenever the table or the weighting changes. */
  readonly model = 'aspora-word-vectors-100k-sif-pc2';
  readonly local = true;
  #table: Table | undefined;

  constructor(private readonly dir = WORD_VECTORS_DIR) {}

  /** Loaded on first use (~10 MB, ~0.2 s): a process that never searches never pays for it. */
  #load(): Table {
    if (this.#table) return this.#table;
    const words = readFileSync(`${this.dir}/words.txt`, 'utf8').split('\n').filter(Boolean);
    const bytes = readFileSync(`${this.dir}/vectors.i8`);
    if (bytes.length !== words.length * DIMENSIONS)
      throw new Error(`word vectors: ${bytes.length} bytes for ${words.length} words × ${DIMENSIONS}`);
    const index = new Map<string, number>();
    const weights = new Float32Array(words.length);
    // Zipf's law estimate of a word's probability from its rank r: p ≈ 1 / (r · ln N).
    const lnN = Math.log(words.length);
    words.forEach((w, i) => {
      index.set(w, i);
      weights[i] = SIF_A / (SIF_A + 1 / ((i + 10) * lnN));
    });
    const vectors = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    this.#table = { index, vectors, weights, common: readDirections(`${this.dir}/common.json`) };
    return this.#table;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): number[] {
    const { index, vectors, weights, common } = this.#load();
    const v = new Float64Array(DIMENSIONS);
    let n = 0;
    for (const w of String(text)
      .slice(0, MAX_TEXT_CHARS)
      .toLowerCase()
      .split(/[^a-z'-]+/)) {
      const i = w && !STOPWORDS.has(w) ? index.get(w) : undefined;
      if (i === undefined) continue;
      const k = weights[i]!;
      const o = i * DIMENSIONS;
      for (let d = 0; d < DIMENSIONS; d++) v[d]! += k * vectors[o + d]!;
      if (++n >= MAX_WORDS) break;
    }
    return Array.from(removeCommon(v, common));
  }
}

/** The unit-length sentence vector without its components along `common` (zero stays zero). */
function removeCommon(v: Float64Array, common: Float64Array[]): Float64Array {
  let norm = 0;
  for (let d = 0; d < DIMENSIONS; d++) norm += v[d]! * v[d]!;
  if (norm === 0) return v;
  norm = Math.sqrt(norm);
  for (let d = 0; d < DIMENSIONS; d++) v[d]! /= norm;
  for (const c of common) {
    let dot = 0;
    for (let d = 0; d < DIMENSIONS; d++) dot += v[d]! * c[d]!;
    for (let d = 0; d < DIMENSIONS; d++) v[d]! -= dot * c[d]!;
  }
  return v;
}

function readDirections(file: string): Float64Array[] {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const ok =
    Array.isArray(parsed) &&
    parsed.length === COMMON_DIRECTIONS &&
    parsed.every((d) => Array.isArray(d) && d.length === DIMENSIONS && d.every((x) => Number.isFinite(x)));
  if (!ok) throw new Error(`word vectors: ${file} is not ${COMMON_DIRECTIONS} directions × ${DIMENSIONS}`);
  return (parsed as number[][]).map((d) => Float64Array.from(d));
}

/**
 * The top `k` principal directions of the first `n` word vectors: the covariance matrix
 * (DIMENSIONS², from one pass over the words), then power iteration with deflation. The start
 * vector is fixed, so every process derives the same directions (stored vectors stay comparable).
 */
export function principalDirections(vectors: Int8Array, n: number, k: number): Float64Array[] {
  const D = DIMENSIONS;
  const mean = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) mean[d]! += vectors[i * D + d]! / n;
  const cov = new Float64Array(D * D);
  const x = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) x[d] = vectors[i * D + d]! - mean[d]!;
    for (let a = 0; a < D; a++) {
      const xa = x[a]!;
      const row = a * D;
      for (let b = a; b < D; b++) cov[row + b]! += xa * x[b]!;
    }
  }
  for (let a = 0; a < D; a++) for (let b = 0; b < a; b++) cov[a * D + b] = cov[b * D + a]!;
  const out: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    let v = Float64Array.from({ length: D }, (_, d) => Math.sin(d + 1 + j));
    for (let it = 0; it < 300; it++) {
      const w = new Float64Array(D);
      for (let a = 0; a < D; a++) {
        let s = 0;
        for (let b = 0; b < D; b++) s += cov[a * D + b]! * v[b]!;
        w[a] = s;
      }
      for (const p of out) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += w[d]! * p[d]!;
        for (let d = 0; d < D; d++) w[d]! -= dot * p[d]!;
      }
      let norm = 0;
      for (let d = 0; d < D; d++) norm += w[d]! * w[d]!;
      norm = Math.sqrt(norm);
      if (norm === 0) break;
      for (let d = 0; d < D; d++) w[d]! /= norm;
      v = w;
    }
    out.push(v);
  }
  return out;
}
