/** Unpacked bundles on the host, one read-only folder per content digest, shared by every worker of that version. */
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseDigest, unpackBundle, type BundleStore } from '../store/index.ts';

export async function materializeBundle(store: BundleStore, digest: string, root: string): Promise<string> {
  const { hex } = parseDigest(digest);
  const dir = join(root, hex);
  if (existsSync(dir)) return dir;
  return writeBundle(await store.get(digest), dir);
}

/** Unpacks bundle bytes (with the store's limits) into `dir`, atomically: a reader sees all of it or nothing. */
export async function writeBundle(bytes: Uint8Array, dir: string): Promise<string> {
  const files = await unpackBundle(
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  );
  const tmp = `${dir}.${process.pid}.${Date.now()}.tmp`;
  await mkdir(tmp, { recursive: true, mode: 0o755 });
  try {
    for (const [path, f] of files) {
      const target = join(tmp, path);
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      await writeFile(target, f.data, { mode: f.mode & 0o111 ? 0o755 : 0o644 });
    }
    await chmod(tmp, 0o755);
  } catch (e) {
    // Each run retries a bundle that failed to unpack: a partial copy per attempt would fill the disk.
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  try {
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) throw e; // someone else won the race: theirs is identical
  }
  return dir;
}
