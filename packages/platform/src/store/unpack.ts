import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { AsporaError, isAsporaError } from './errors.ts';
import type { BundleLimits } from './limits.ts';
import { resolveLimits, tooLarge } from './limits.ts';
import { checkNoConflicts, invalidEntry, normaliseEntryName, normaliseMode, quoteEntry } from './paths.ts';

export interface UnpackedFile {
  data: Buffer;
  /** Normalised to 0o644 or 0o755. */
  mode: number;
}

/**
 * Small input slices bound how much a single slice can inflate to before our byte counter sees it
 * (zlib does not apply backpressure within one input chunk; 16 KiB of zeros inflates to ~16 MiB).
 */
const INPUT_SLICE = 16 * 1024;

function corrupt(reason: string, cause?: unknown): AsporaError {
  return new AsporaError('BUNDLE_CORRUPT', `bundle is not a valid .tar.gz: ${reason}`, {
    hint: 'the upload may be truncated or damaged; re-pack the skill (`aspora pack`) and upload it again',
    cause,
  });
}

function* slices(bytes: Buffer): Generator<Buffer> {
  for (let off = 0; off < bytes.length; off += INPUT_SLICE) yield bytes.subarray(off, off + INPUT_SLICE);
}

/**
 * Inflates and parses a bundle with every limit enforced as bytes arrive, so a gzip bomb is stopped at
 * the limit instead of after inflating. Only regular files and directories with safe relative paths pass.
 * Returns files only; directories are implied by file paths.
 */
export async function unpackBundle(bytes: Buffer, limits?: Partial<BundleLimits>): Promise<Map<string, UnpackedFile>> {
  const lim = resolveLimits(limits);
  if (bytes.length > lim.maxCompressedBytes) throw tooLarge('maxCompressedBytes', bytes.length, lim.maxCompressedBytes);

  const source = Readable.from(slices(bytes), { objectMode: false });
  const gunzip = createGunzip();
  const extract = tar.extract();
  let failure: Error | undefined;
  const fail = (err: Error) => {
    if (failure) return;
    failure = err;
    source.destroy();
    gunzip.destroy();
    extract.destroy(err);
  };

  let inflated = 0;
  gunzip.on('data', (chunk: Buffer) => {
    inflated += chunk.length;
    if (inflated > lim.maxUncompressedBytes) {
      return fail(
        tooLarge('maxUncompressedBytes', inflated, lim.maxUncompressedBytes, {
          subject: 'inflated bundle',
          atLeast: true,
        }),
      );
    }
    if (!extract.write(chunk)) gunzip.pause();
  });
  extract.on('drain', () => gunzip.resume());
  gunzip.on('end', () => extract.end(undefined)); // streamx's typing requires the (optional) final chunk argument
  gunzip.on('error', (e) => fail(corrupt(`gzip: ${e.message}`, e)));
  source.pipe(gunzip);

  const files = new Map<string, UnpackedFile>();
  const dirs = new Set<string>();
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const isDir = h.type === 'directory';
      if (h.type !== 'file' && !isDir) {
        throw invalidEntry(h.name, `is a ${h.type ?? 'unknown'} entry; only regular files and directories are allowed`);
      }
      const path = normaliseEntryName(h.name, isDir);
      if (files.has(path) || dirs.has(path)) throw invalidEntry(path, 'appears more than once');
      if (isDir) {
        if (path !== '') dirs.add(path);
        entry.resume();
        continue;
      }
      if (files.size + 1 > lim.maxFiles) throw tooLarge('maxFiles', files.size + 1, lim.maxFiles, { atLeast: true });
      const size = h.size ?? 0;
      // The header announces the size: refuse before reading a single byte of an oversized file.
      if (size > lim.maxFileBytes)
        throw tooLarge('maxFileBytes', size, lim.maxFileBytes, { subject: quoteEntry(path) });
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      files.set(path, { data: Buffer.concat(chunks), mode: normaliseMode(h.mode) });
    }
  } catch (e) {
    const err = failure ?? (isAsporaError(e) ? e : corrupt(`tar: ${e instanceof Error ? e.message : String(e)}`, e));
    fail(err);
    throw err;
  }
  if (failure) throw failure;
  checkNoConflicts(files, dirs);
  return files;
}
