/**
 * Deleting a tree a sandbox can write to, as the platform's user (root, often), while something in
 * the sandbox may still be writing it. Deleting by path would follow a folder swapped for a symlink
 * mid-way and delete host files. Here every step is relative to a directory handle opened with
 * O_NOFOLLOW (through /proc/self/fd/N/<name>: Node has no openat/unlinkat): a name is unlinked or
 * rmdir'ed in its parent's handle (neither follows a final symlink), and descent only goes through
 * handles that are proven folders. Names stay Buffers (a non-UTF-8 name is still deletable).
 * Bounded in entries (a writer that refills as fast as it is emptied cannot hold the platform) and
 * in open handles: a folder deeper than `maxDepth` is moved up to the top and emptied from there.
 */
import { constants } from 'node:fs';
import { chmod, open, opendir, rename, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { basename, dirname } from 'node:path';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
/** Linux's O_PATH (x86, arm): a handle to a name's inode that reads nothing; Node does not export it. */
const O_PATH = 0o10000000;
const DIR = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;

export interface RemoveLimits {
  /** Entries visited (each unlink, rmdir or descent counts), over the whole call. */
  maxEntries: number;
  /** Open folder handles on the way down. */
  maxDepth: number;
}

export interface Removal {
  /** Entries visited. */
  visited: number;
  /** Nothing is left (the folder is empty, or gone for removeTree). */
  complete: boolean;
}

const DEFAULTS: RemoveLimits = { maxEntries: 1_000_000, maxDepth: 32 };
const bounds = (l: Partial<RemoveLimits>): RemoveLimits => ({ maxEntries: l.maxEntries ?? DEFAULTS.maxEntries, maxDepth: Math.max(2, l.maxDepth ?? DEFAULTS.maxDepth) });

const at = (fh: FileHandle, name?: Buffer): Buffer =>
  name ? Buffer.concat([Buffer.from(`/proc/self/fd/${fh.fd}/`), name]) : Buffer.from(`/proc/self/fd/${fh.fd}`);

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code;

/** An operation in `dir` refused for want of write or search permission on it: chmod it through its handle, once. */
async function retryWritable<T>(dir: FileHandle, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (code(e) !== 'EACCES') throw e;
    await dir.chmod(0o700);
    return await op();
  }
}

/** Unlinks `name` in `dir`: 'folder' when it is one (now), else it is gone. */
async function unlinkAt(dir: FileHandle, name: Buffer): Promise<'done' | 'folder'> {
  try {
    await retryWritable(dir, () => unlink(at(dir, name)));
    return 'done';
  } catch (e) {
    if (code(e) === 'EISDIR') return 'folder';
    if (code(e) === 'ENOENT') return 'done';
    throw e;
  }
}

/** A handle on the folder `name` in `dir`, never through a symlink; a folder made unreadable is made readable first. */
async function openFolderAt(dir: FileHandle, name: Buffer): Promise<FileHandle | 'gone' | 'not-a-folder'> {
  try {
    return await retryWritable(dir, () => open(at(dir, name), DIR));
  } catch (e) {
    if (code(e) === 'ENOENT') return 'gone';
    if (code(e) === 'ENOTDIR' || code(e) === 'ELOOP') return 'not-a-folder';
    if (code(e) !== 'EACCES') throw e;
  }
  // Mode 000: root reads it anyway, an owner that is not root must chmod it. Pin the inode with an
  // O_PATH handle, check it is a folder, then chmod and reopen that very inode: no name is looked up again.
  let pinned: FileHandle;
  try {
    pinned = await open(at(dir, name), O_PATH | O_NOFOLLOW);
  } catch (e) {
    if (code(e) === 'ENOENT') return 'gone';
    throw e;
  }
  try {
    if (!(await pinned.stat()).isDirectory()) return 'not-a-folder';
    await chmod(at(pinned), 0o700);
    return await open(at(pinned), O_RDONLY | O_DIRECTORY | O_NONBLOCK);
  } finally {
    await pinned.close();
  }
}

class Remover {
  visited = 0;
  /** Entries removed or moved up: a listing after which this has not grown ends the call. */
  progress = 0;

  /** `top`: the folder being emptied, where a chain deeper than maxDepth continues. */
  constructor(
    private readonly top: FileHandle,
    private readonly limits: RemoveLimits,
  ) {}

  get spent(): boolean {
    return this.visited >= this.limits.maxEntries;
  }

  /** Empties the folder behind `dir`; true when a listing found it empty. Listings repeat while they make progress, within the entry bound. */
  async empty(dir: FileHandle, depth: number): Promise<boolean> {
    for (let before = -1; before !== this.progress && !this.spent; ) {
      before = this.progress;
      let seen = 0;
      const d = await opendir(at(dir), { encoding: 'buffer' as BufferEncoding, bufferSize: 128 });
      // for await closes the listing, also on an early return.
      for await (const e of d) {
        seen++;
        if (this.spent) return false;
        // One entry that cannot be removed stays for the next pass (and, in the end, makes the result incomplete).
        await this.entry(dir, e.name as unknown as Buffer, e.isDirectory(), depth).catch(() => undefined);
      }
      if (seen === 0) return true;
    }
    return false;
  }

  /** One name in `dir`: unlinked, or (a folder) emptied through its own handle and rmdir'ed. What changed under us is left for the next pass. */
  async entry(dir: FileHandle, name: Buffer, looksLikeFolder: boolean, depth: number): Promise<void> {
    this.visited++;
    if (!looksLikeFolder && (await unlinkAt(dir, name)) === 'done') return void this.progress++;
    const child = await openFolderAt(dir, name);
    if (child === 'gone') return void this.progress++;
    if (child === 'not-a-folder') return void (await unlinkAt(dir, name), this.progress++);
    try {
      if (depth + 1 >= this.limits.maxDepth) {
        // Out of handles for this chain: it continues from the top in a later pass.
        await rename(at(dir, name), at(this.top, Buffer.from(`.aspora-rm-${randomUUID()}`)));
        return void this.progress++;
      }
      if (!(await this.empty(child, depth + 1))) return;
    } finally {
      await child.close();
    }
    // ENOTEMPTY (refilled) or ENOTDIR (swapped for a file or a link) throw: the next pass sees it again.
    await retryWritable(dir, () => rmdir(at(dir, name)));
    this.progress++;
  }
}

/**
 * Empties `dir` and keeps it. `dir` itself must be a path the sandbox cannot change (a folder it
 * has bind-mounted, below host-owned folders); everything in it is treated as hostile.
 */
export async function emptyDir(dir: string, limits: Partial<RemoveLimits> = {}): Promise<Removal> {
  const top = await open(dir, DIR);
  try {
    const r = new Remover(top, bounds(limits));
    const complete = await r.empty(top, 0);
    return { visited: r.visited, complete };
  } finally {
    await top.close();
  }
}

/** Removes `path` and everything in it; its parent must be a folder the sandbox cannot change. Absent counts as complete. */
export async function removeTree(path: string, limits: Partial<RemoveLimits> = {}): Promise<Removal> {
  let parent: FileHandle;
  try {
    parent = await open(dirname(path), DIR);
  } catch (e) {
    if (code(e) === 'ENOENT') return { visited: 0, complete: true };
    throw e;
  }
  try {
    const name = Buffer.from(basename(path));
    const own = await openFolderAt(parent, name);
    if (own === 'gone') return { visited: 0, complete: true };
    if (own === 'not-a-folder') {
      await unlinkAt(parent, name);
      return { visited: 1, complete: true };
    }
    const r = new Remover(own, bounds(limits));
    let empty: boolean;
    try {
      empty = await r.empty(own, 0);
    } finally {
      await own.close();
    }
    if (empty) await rmdir(at(parent, name)).catch((e) => (code(e) === 'ENOENT' ? undefined : Promise.reject(e)));
    return { visited: r.visited, complete: empty };
  } finally {
    await parent.close();
  }
}
