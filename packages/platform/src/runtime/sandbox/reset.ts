/**
 * Between two executions on a warm worker, everything its sandbox can write is emptied: /scratch,
 * /tmp and /dev/shm (scratch.ts). The execution's Bash commands and left-over processes are gone by
 * then (host/services.ts, reap.ts), but the worker itself may still run code — a goroutine, a
 * thread, a timer outlives the result — so the folders are emptied by handle, never following a
 * link (remove.ts), with the worker frozen (its cgroup's freezer) when there is anything to
 * remove. A worker whose folders are not empty afterwards (still written, or over the bounds) is
 * not reused.
 */
import { opendirSync, statSync } from 'node:fs';
import type { WorkerCgroup } from './cgroup.ts';
import { emptyDir, removeTree } from './remove.ts';

export interface Resettable {
  readonly dirs: { scratchDir: string; tmpDir?: string | undefined; shmDir?: string | undefined };
  readonly cgroup: WorkerCgroup | undefined;
}

/** Per folder and reset: more than this many entries (or a writer refilling it) and the worker is not reused. */
const RESET_LIMITS = { maxEntries: 10_000, maxDepth: 32 };

/** One entry read, not a whole listing: bounded on a huge folder. */
function isEmpty(dir: string): boolean {
  try {
    const d = opendirSync(dir, { bufferSize: 1 });
    try {
      return d.readSync() === null;
    } finally {
      d.closeSync();
    }
  } catch {
    return false;
  }
}

/** A folder's ctime (ns): any entry added, removed or renamed in it changes it, and no one can set it back. */
function ctime(dir: string): bigint {
  try {
    return statSync(dir, { bigint: true }).ctimeNs;
  } catch {
    return -1n;
  }
}

/**
 * The folders' ctimes when they were last seen empty. A folder whose ctime has not moved since
 * has had nothing added to it: one stat instead of a listing on the common path (a listing of the
 * three folders was a fifth of the platform's CPU per trivial execution).
 */
const cleanAt = new WeakMap<Resettable, bigint[]>();

/**
 * A ctime may be coarse (the kernel's tick): one set within a tick of our look could be set again,
 * unchanged, by a write in the same tick. So a ctime is trusted only once it is older than this.
 */
const SETTLED_NS = 50_000_000n;

/**
 * Whether the folders are empty now, and the ctimes to trust next time (taken before the look,
 * so what is added after it moves them; none when one is too recent to trust).
 */
function emptySince(folders: string[]): { empty: boolean; at?: bigint[] } {
  const at = folders.map(ctime);
  if (!folders.every(isEmpty)) return { empty: false };
  const now = BigInt(Date.now()) * 1_000_000n;
  return at.every((c) => c !== -1n && now - c > SETTLED_NS) ? { empty: true, at } : { empty: true };
}

/** Empties the worker's writable folders. False: not clean (still written, or over the bounds): kill it. */
export async function resetWorker(w: Resettable): Promise<boolean> {
  const folders = [w.dirs.scratchDir, w.dirs.tmpDir, w.dirs.shmDir].filter((d): d is string => !!d);
  const seen = cleanAt.get(w);
  if (seen && folders.every((d, i) => ctime(d) === seen[i])) return true;
  cleanAt.delete(w);
  const now = emptySince(folders);
  if (now.empty) {
    if (now.at) cleanAt.set(w, now.at);
    return true;
  }
  let complete = true;
  try {
    await w.cgroup?.freeze();
    for (const d of folders) if (!(await emptyDir(d, RESET_LIMITS)).complete) complete = false;
  } catch {
    complete = false;
  } finally {
    w.cgroup?.thaw();
  }
  if (!complete) return false;
  const after = emptySince(folders);
  if (after.at) cleanAt.set(w, after.at);
  return after.empty;
}

/** After a worker has ended: what is left in its cgroup is killed, the group removed, then its folders. */
export async function cleanUpAfter(cgroup: WorkerCgroup | undefined, home: string): Promise<void> {
  cgroup?.killAll();
  await cgroup?.remove();
  const r = await removeTree(home).catch(() => ({ complete: false }));
  // Without a cgroup a Bash sibling may have written on for a moment: once more, later.
  if (!r.complete) setTimeout(() => void removeTree(home).catch(() => undefined), 1000).unref();
}
