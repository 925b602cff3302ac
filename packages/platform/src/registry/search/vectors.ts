/** Cosine similarity and an in-memory vector cache keyed by version id (versions are immutable). */

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export class VectorCache {
  readonly #map = new Map<string, Float32Array>();
  constructor(readonly capacity = 100_000) {}

  get(id: string): Float32Array | undefined {
    return this.#map.get(id);
  }

  set(id: string, v: ArrayLike<number>): void {
    // Map keeps insertion order: evicting the first key is a cheap FIFO bound on memory.
    if (this.#map.size >= this.capacity) {
      const first = this.#map.keys().next();
      if (!first.done) this.#map.delete(first.value);
    }
    this.#map.set(id, Float32Array.from(v));
  }

  get size(): number {
    return this.#map.size;
  }
}
