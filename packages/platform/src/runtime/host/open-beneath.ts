/**
 * Opening a path below a folder the sandbox can write to (/scratch) without following any
 * symlink, and without a check-then-use race: each component is opened relative to the file
 * descriptor of its parent (through /proc/self/fd, Node's stand-in for openat) with O_NOFOLLOW,
 * so swapping a folder for a symlink between a check and the open cannot redirect it. Every open
 * is non-blocking: a FIFO the sandbox made opens at once (or fails with ENXIO) instead of holding
 * one of libuv's few pool threads until someone opens its other end.
 */
import { constants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
const DIR = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;

export class Escape extends Error {}

/** `rel` is normalised (no `.`, `..` or empty parts). Throws Escape for a symlink on the way; other errors (ENOENT, ENOTDIR …) as they are. */
export async function openBeneath(root: string, rel: string, flags: number, mode = 0o644): Promise<FileHandle> {
  let dir = await open(root, DIR);
  try {
    const parts = rel ? rel.split('/') : [];
    if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new Escape('a path part is empty, . or ..');
    if (parts.length === 0) return await open(`/proc/self/fd/${dir.fd}`, flags | O_NONBLOCK);
    for (const comp of parts.slice(0, -1)) {
      const at = `/proc/self/fd/${dir.fd}/${comp}`;
      const next = await open(at, DIR).catch(async (e: NodeJS.ErrnoException) => {
        // O_DIRECTORY|O_NOFOLLOW says ENOTDIR for a symlink and for a file alike.
        if (e.code === 'ENOTDIR' && (await lstat(at).catch(() => undefined))?.isSymbolicLink())
          throw new Escape('a symlink on the way');
        throw e;
      });
      await dir.close();
      dir = next;
    }
    return await open(
      `/proc/self/fd/${dir.fd}/${parts[parts.length - 1]}`,
      flags | O_NOFOLLOW | O_NONBLOCK,
      mode,
    ).catch((e: NodeJS.ErrnoException) => {
      // ELOOP: the last component is a symlink.
      if (e.code === 'ELOOP') throw new Escape('the path is a symlink');
      throw e;
    });
  } finally {
    await dir.close();
  }
}
