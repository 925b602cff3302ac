/**
 * Between two executions on a warm worker, everything its sandbox can write is emptied: /scratch,
 * /tmp and /dev/shm (scratch.ts). The execution's Bash commands and left-over processes are gone by
 * then (host/services.ts, reap.ts), but the worker itself may still run code — a goroutine, a
 * thread, a timer outlives the result — so the folders are emptied by handle, never following a
 * link (remove.ts), with the worker frozen (its cgroup's freezer) when there is anything to
 * remove. A worker whose folders are not empty afterwards (still written, or over the bounds) is
 * not reused.
 */
import { opendirSync } from 'node:fs';
import type { WorkerCgroup } from './cgroup.ts';
import { emptyDir, removeTree } from './remove.ts';

export interface Resettable {
  readonly dirs: { scratchDir: string; tmpDir?: string | undefined; shmDir?: string | undefined };
  readonly cgroup: WorkerCgroup | undefined;
}

/** Per folder and reset: more than this many entries (or a writer refilling it) and the worker is not reused. */
const RESET_LIMITS = { maxEntries: 10_000, maxDepth: 32 };

/** One entry read, not a whole listing: cheap on the common empty folder, bounded on a huge one. */
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

/** Empties the worker's writable folders. False: not clean (still written, or over the bounds): kill it. */
export async function resetWorker(w: Resettable): Promise<boolean> {
  const folders = [w.dirs.scratchDir, w.dirs.tmpDir, w.dirs.shmDir].filter((d): d is string => !!d);
  if (folders.every(isEmpty)) return true;
  let complete = true;
  try {
    await w.cgroup?.freeze();
    for (const d of folders) if (!(await emptyDir(d, RESET_LIMITS)).complete) complete = false;
  } catch {
    complete = false;
  } finally {
    w.cgroup?.thaw();
  }
  return complete && folders.every(isEmpty);
}

/** After a worker has ended: what is left in its cgroup is killed, the group removed, then its folders. */
export async function cleanUpAfter(cgroup: WorkerCgroup | undefined, home: string): Promise<void> {
  cgroup?.killAll();
  await cgroup?.remove();
  const r = await removeTree(home).catch(() => ({ complete: false }));
  // Without a cgroup a Bash sibling may have written on for a moment: once more, later.
  if (!r.complete) setTimeout(() => void removeTree(home).catch(() => undefined), 1000).unref();
}
