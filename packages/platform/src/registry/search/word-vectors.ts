/**
 * A semantic signal without a network: sentence vectors from word vectors shipped on disk
 * (data/word-vectors, GloVe-derived; README there). A text's vector is the SIF-weighted mean of its
 * words' vectors (Arora et al. 2017: weight a/(a + p(w)), p from the word's frequency rank), so
 * frequent words ("please", "the", "check") count little and rare, meaningful ones a lot.
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
}

export class WordVectorEmbedder implements Embedder {
  /** Stored beside each vector; changes whenever the table or the weighting changes. */
  readonly model = 'aspora-word-vectors-100k-sif';
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
    this.#table = { index, vectors: new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length), weights };
    return this.#table;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): number[] {
    const { index, vectors, weights } = this.#load();
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
    return Array.from(v);
  }
}
