/**
 * Opening a path below a folder the sandbox can write to (/scratch) without following any
 * symlink, and without a check-then-use race: each component is opened relative to the file
 * descriptor of its parent (through /proc/self/fd, Node's stand-in for openat) with O_NOFOLLOW,
 * so swapping a folder for a symlink between a check and the open cannot redirect it.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

export class Escape extends Error {}

/** `rel` is normalised (no `.`, `..` or empty parts). Throws Escape for a symlink on the way; ENOENT as usual. */
export async function openBeneath(root: string, rel: string, flags: number, mode = 0o644): Promise<FileHandle> {
  let dir = await open(root, O_RDONLY | O_DIRECTORY);
  try {
    const parts = rel ? rel.split('/') : [];
    if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new Escape(rel);
    if (parts.length === 0) return await open(`/proc/self/fd/${dir.fd}`, flags);
    for (const comp of parts.slice(0, -1)) {
      const next = await open(`/proc/self/fd/${dir.fd}/${comp}`, O_RDONLY | O_DIRECTORY | O_NOFOLLOW).catch(rethrow);
      await dir.close();
      dir = next;
    }
    return await open(`/proc/self/fd/${dir.fd}/${parts[parts.length - 1]}`, flags | O_NOFOLLOW, mode).catch(rethrow);
  } finally {
    await dir.close();
  }
}

function rethrow(e: NodeJS.ErrnoException): never {
  // ELOOP: the last component is a symlink; ENOTDIR: an earlier one is (or is a file).
  if (e.code === 'ELOOP' || e.code === 'ENOTDIR') throw new Escape(e.message);
  throw e;
}
