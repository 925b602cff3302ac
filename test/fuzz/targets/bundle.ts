/**
 * Bundles (.tar.gz) as uploaded, through unpackBundle — and packFiles on random file maps.
 * Properties: unpackBundle rejects only with BUNDLE_CORRUPT, BUNDLE_INVALID or BUNDLE_TOO_LARGE,
 * with a hint and a bounded message; what it accepts holds only safe relative paths a file system
 * can hold, no file inside a file, sizes and counts within the limits, modes 0644/0755; packFiles
 * is deterministic and unpackBundle(packFiles(x)) gives x back.
 */
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AsporaError } from '../../../packages/sdk/src/index.ts';
import { packFiles } from '../../../packages/platform/src/store/pack.ts';
import { unpackBundle } from '../../../packages/platform/src/store/unpack.ts';
import type { BundleLimits } from '../../../packages/platform/src/store/limits.ts';
import { bundleCase, mutate, type BundleCase } from '../arbitraries/tar.ts';
import { FuzzFailure, hexClip, type FuzzTarget } from '../harness/target.ts';

const KiB = 1024;
/** Small limits: a bomb in small costs milliseconds, and every limit is within the fuzzer's reach. */
const LIMITS: BundleLimits = {
  maxCompressedBytes: 512 * KiB,
  maxUncompressedBytes: 2048 * KiB,
  maxFiles: 64,
  maxFileBytes: 512 * KiB,
};
const CODES = new Set(['BUNDLE_CORRUPT', 'BUNDLE_INVALID', 'BUNDLE_TOO_LARGE']);
const MAX_MESSAGE = 1000;

function refusal(e: unknown, codes: Set<string>, what: string): void {
  if (!(e instanceof AsporaError) || !codes.has(e.code)) {
    throw new FuzzFailure(
      `${what} threw ${(e as Error)?.name} ${(e as AsporaError)?.code ?? ''}: ${String((e as Error)?.message).slice(0, 50)}`,
      String((e as Error)?.stack ?? e),
    );
  }
  if (!e.hint) throw new FuzzFailure(`${what}: ${e.code} without a hint`, e.message);
  if (e.message.length > MAX_MESSAGE)
    throw new FuzzFailure(
      `${what}: ${e.code} message of unbounded length`,
      `${e.message.length} characters: ${e.message.slice(0, 200)}`,
    );
  // Messages reach terminals and logs: what the uploader wrote is quoted (escaped), never raw.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(e.message))
    throw new FuzzFailure(
      `${what}: ${e.code} message with raw control characters`,
      JSON.stringify(e.message.slice(0, 300)),
    );
}

/** What a bundle may hold, checked independently of store/paths.ts. */
function checkAccepted(files: Map<string, { data: Buffer; mode: number }>): void {
  assert.ok(files.size <= LIMITS.maxFiles, `${files.size} files`);
  let total = 0;
  for (const [path, f] of files) {
    const segs = path.split('/');
    assert.ok(
      path.length > 0 && !path.startsWith('/') && !path.includes('\\') && !path.includes('\0'),
      `unsafe path ${JSON.stringify(path.slice(0, 200))}`,
    );
    for (const s of segs)
      assert.ok(s !== '' && s !== '.' && s !== '..', `unsafe segment in ${JSON.stringify(path.slice(0, 200))}`);
    // What a Linux file system holds: NAME_MAX 255 bytes a name, and well under PATH_MAX below the bundle folder.
    for (const s of segs)
      if (Buffer.byteLength(s) > 255)
        throw new FuzzFailure(
          'accepted a name longer than 255 bytes',
          `${Buffer.byteLength(s)} bytes in ${JSON.stringify(path.slice(0, 120))}…`,
        );
    if (Buffer.byteLength(path) > 1024)
      throw new FuzzFailure(
        'accepted a path longer than 1024 bytes',
        `${Buffer.byteLength(path)} bytes: ${JSON.stringify(path.slice(0, 120))}…`,
      );
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1))
      assert.ok(!files.has(path.slice(0, i)), `${path} is inside a file`);
    assert.ok(f.data.length <= LIMITS.maxFileBytes, `${path}: ${f.data.length} bytes`);
    assert.ok(f.mode === 0o644 || f.mode === 0o755, `${path}: mode ${f.mode.toString(8)}`);
    total += f.data.length;
  }
  assert.ok(total <= LIMITS.maxUncompressedBytes, `${total} bytes in all`);
}

async function unpackChecked(bytes: Uint8Array): Promise<void> {
  let files: Map<string, { data: Buffer; mode: number }>;
  try {
    files = await unpackBundle(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), LIMITS);
  } catch (e) {
    return refusal(e, CODES, 'unpackBundle');
  }
  checkAccepted(files);
}

const target: FuzzTarget<BundleCase> = {
  arbitrary: () => bundleCase,
  preview: (x) =>
    x.kind === 'bytes'
      ? `${x.label}: ${hexClip(x.bytes)}; tar ${(() => {
          try {
            return hexClip(gunzipSync(x.bytes), 96);
          } catch {
            return 'not gzip';
          }
        })()}`
      : `packFiles of ${JSON.stringify(x.files.map((f) => [f.path, f.data.length, f.mode]))}, mutations ${JSON.stringify(x.mutations.map((m) => ({ ...m, ...('bytes' in m ? { bytes: m.bytes.length } : {}) })))}${x.inTar ? ' in the tar' : ''}`,
  async check(x) {
    if (x.kind === 'bytes') return unpackChecked(x.bytes);
    const input = new Map(x.files.map((f) => [f.path, { data: Buffer.from(f.data), mode: f.mode }] as const));
    let packed: Awaited<ReturnType<typeof packFiles>>;
    try {
      packed = await packFiles(input, { limits: LIMITS });
    } catch (e) {
      return refusal(e, new Set(['BUNDLE_INVALID', 'BUNDLE_TOO_LARGE']), 'packFiles');
    }
    assert.equal((await packFiles(input, { limits: LIMITS })).digest, packed.digest, 'packFiles is not deterministic');
    if (x.mutations.length === 0) {
      const out = await unpackBundle(packed.bytes, LIMITS);
      checkAccepted(out);
      assert.deepEqual([...out.keys()].sort(), [...input.keys()].sort(), 'round trip changed the file list');
      for (const [p, f] of input) {
        assert.ok(Buffer.from(f.data).equals(out.get(p)!.data), `round trip changed ${p}`);
        assert.equal(out.get(p)!.mode, f.mode !== undefined && (f.mode & 0o111) !== 0 ? 0o755 : 0o644);
      }
      return;
    }
    const bytes = x.inTar
      ? gzipSync(x.mutations.reduce(mutate, Uint8Array.from(gunzipSync(packed.bytes))))
      : x.mutations.reduce(mutate, Uint8Array.from(packed.bytes));
    return unpackChecked(bytes);
  },
};

export default target;
