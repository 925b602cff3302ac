/**
 * Deleting a tree a sandbox can write to, as the platform's user (root, often), while something in
 * the sandbox may still be writing it. Deleting by path would follow a folder swapped for a symlink
 * mid-way and delete host files. Here every step is relative to a directory handle opened with
 * O_NOFOLLOW (through /proc/self/fd/N/<name>: Node has no openat/unlinkat): a name is unlinked or
 * rmdir'ed in its parent's handle (neither follows a final symlink), and descent only goes through
 * handles that are proven folders. Names stay Buffers (a non-UTF-8 name is still deletable).
 * Bounded in entries (a writer that refills as fast as it is emptied cannot hold the platform) and
 * in open handles: a folder deeper than `maxDepth` is moved up to the top and emptied from there.
 *
 * The steps are synchronous, in batches with the event loop yielded between them: each is a
 * metadata call on a tmpfs that cannot block (only folders are ever opened, O_DIRECTORY|O_NONBLOCK,
 * which a FIFO refuses before it could wait), and a thread-pool hop per step cost 5-10× more.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  opendirSync,
  openSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  chmodSync,
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import { basename, dirname } from 'node:path';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
/** Linux's O_PATH (x86, arm): a handle to a name's inode that reads nothing; Node does not export it. */
const O_PATH = 0o10000000;
const DIR = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;
/** Steps between two yields of the event loop (~1 ms of work). */
const BATCH = 256;

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
const bounds = (l: Partial<RemoveLimits>): RemoveLimits => ({
  maxEntries: l.maxEntries ?? DEFAULTS.maxEntries,
  maxDepth: Math.max(2, l.maxDepth ?? DEFAULTS.maxDepth),
});

const at = (fd: number, name?: Buffer): Buffer =>
  name ? Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), name]) : Buffer.from(`/proc/self/fd/${fd}`);

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code;

/** An operation in `dir` refused for want of write or search permission on it: chmod it through its handle, once. */
function retryWritable<T>(dir: number, op: () => T): T {
  try {
    return op();
  } catch (e) {
    if (code(e) !== 'EACCES') throw e;
    fchmodSync(dir, 0o700);
    return op();
  }
}

/** Unlinks `name` in `dir`: 'folder' when it is one (now), else it is gone. */
function unlinkAt(dir: number, name: Buffer): 'done' | 'folder' {
  try {
    retryWritable(dir, () => unlinkSync(at(dir, name)));
    return 'done';
  } catch (e) {
    if (code(e) === 'EISDIR') return 'folder';
    if (code(e) === 'ENOENT') return 'done';
    throw e;
  }
}

/** A handle on the folder `name` in `dir`, never through a symlink; a folder made unreadable is made readable first. */
function openFolderAt(dir: number, name: Buffer): number | 'gone' | 'not-a-folder' {
  try {
    return retryWritable(dir, () => openSync(at(dir, name), DIR));
  } catch (e) {
    if (code(e) === 'ENOENT') return 'gone';
    if (code(e) === 'ENOTDIR' || code(e) === 'ELOOP') return 'not-a-folder';
    if (code(e) !== 'EACCES') throw e;
  }
  // Mode 000: root reads it anyway, an owner that is not root must chmod it. Pin the inode with an
  // O_PATH handle, check it is a folder, then chmod and reopen that very inode: no name is looked up again.
  let pinned: number;
  try {
    pinned = openSync(at(dir, name), O_PATH | O_NOFOLLOW);
  } catch (e) {
    if (code(e) === 'ENOENT') return 'gone';
    throw e;
  }
  try {
    if (!fstatSync(pinned).isDirectory()) return 'not-a-folder';
    chmodSync(at(pinned), 0o700);
    return openSync(at(pinned), O_RDONLY | O_DIRECTORY | O_NONBLOCK);
  } finally {
    closeSync(pinned);
  }
}

class Remover {
  visited = 0;
  /** Entries removed or moved up: a listing after which this has not grown ends the call. */
  progress = 0;
  #untilYield = BATCH;

  /** `top`: the folder being emptied, where a chain deeper than maxDepth continues. */
  constructor(
    private readonly top: number,
    private readonly limits: RemoveLimits,
  ) {}

  get spent(): boolean {
    return this.visited >= this.limits.maxEntries;
  }

  /** Empties the folder behind `dir`; true when a listing found it empty. Listings repeat while they make progress, within the entry bound. */
  async empty(dir: number, depth: number): Promise<boolean> {
    for (let before = -1; before !== this.progress && !this.spent; ) {
      before = this.progress;
      let seen = 0;
      const d = opendirSync(at(dir), { encoding: 'buffer' as BufferEncoding, bufferSize: 128 });
      try {
        for (let e = d.readSync(); e; e = d.readSync()) {
          seen++;
          if (this.spent) return false;
          // One entry that cannot be removed stays for the next pass (and, in the end, makes the result incomplete).
          await this.entry(dir, e.name as unknown as Buffer, e.isDirectory(), depth).catch(() => undefined);
        }
      } finally {
        d.closeSync();
      }
      if (seen === 0) return true;
    }
    return false;
  }

  /** One name in `dir`: unlinked, or (a folder) emptied through its own handle and rmdir'ed. What changed under us is left for the next pass. */
  async entry(dir: number, name: Buffer, looksLikeFolder: boolean, depth: number): Promise<void> {
    this.visited++;
    if (--this.#untilYield <= 0) {
      this.#untilYield = BATCH;
      await new Promise((r) => setImmediate(r));
    }
    if (!looksLikeFolder && unlinkAt(dir, name) === 'done') return void this.progress++;
    const child = openFolderAt(dir, name);
    if (child === 'gone') return void this.progress++;
    if (child === 'not-a-folder') return void (unlinkAt(dir, name), this.progress++);
    try {
      if (depth + 1 >= this.limits.maxDepth) {
        // Out of handles for this chain: it continues from the top in a later pass.
        renameSync(at(dir, name), at(this.top, Buffer.from(`.aspora-rm-${randomUUID()}`)));
        return void this.progress++;
      }
      if (!(await this.empty(child, depth + 1))) return;
    } finally {
      closeSync(child);
    }
    // ENOTEMPTY (refilled) or ENOTDIR (swapped for a file or a link) throw: the next pass sees it again.
    retryWritable(dir, () => rmdirSync(at(dir, name)));
    this.progress++;
  }
}

/**
 * Empties `dir` and keeps it. `dir` itself must be a path the sandbox cannot change (a folder it
 * has bind-mounted, below host-owned folders); everything in it is treated as hostile.
 */
export async function emptyDir(dir: string, limits: Partial<RemoveLimits> = {}): Promise<Removal> {
  const top = openSync(dir, DIR);
  try {
    const r = new Remover(top, bounds(limits));
    const complete = await r.empty(top, 0);
    return { visited: r.visited, complete };
  } finally {
    closeSync(top);
  }
}

/** Removes `path` and everything in it; its parent must be a folder the sandbox cannot change. Absent counts as complete. */
export async function removeTree(path: string, limits: Partial<RemoveLimits> = {}): Promise<Removal> {
  if (['', '.', '..'].includes(basename(path)))
    throw new Error(`removeTree: ${path} does not name a folder in a parent`);
  let parent: number;
  try {
    parent = openSync(dirname(path), DIR);
  } catch (e) {
    if (code(e) === 'ENOENT') return { visited: 0, complete: true };
    throw e;
  }
  try {
    const name = Buffer.from(basename(path));
    const own = openFolderAt(parent, name);
    if (own === 'gone') return { visited: 0, complete: true };
    if (own === 'not-a-folder') {
      unlinkAt(parent, name);
      return { visited: 1, complete: true };
    }
    const r = new Remover(own, bounds(limits));
    let empty: boolean;
    try {
      empty = await r.empty(own, 0);
    } finally {
      closeSync(own);
    }
    if (empty) {
      try {
        rmdirSync(at(parent, name));
      } catch (e) {
        if (code(e) !== 'ENOENT') throw e;
      }
    }
    return { visited: r.visited, complete: empty };
  } finally {
    closeSync(parent);
  }
}
