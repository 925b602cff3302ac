/**
 * Where workers' writable folders live on the host. On a tmpfs (/dev/shm by default) a page a
 * sandboxed process writes is charged to its own memory cgroup, so "fill the disk" ends at the
 * worker's memory cap instead of at the host's disk. ASPORA_SCRATCH_DIR overrides; without a
 * tmpfs the folders fall back to the data folder (and only the per-file size rlimit holds).
 */
import { accessSync, chownSync, constants, mkdirSync, statfsSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';

/**
 * Everything a worker's sandbox can write, as host folders below `home` (`<root>/<uuid>`, the
 * host's): each is bind-mounted and emptied between executions (reset.ts); `home` goes, with all
 * in it, when the worker ends.
 */
export interface WorkerDirs {
  home: string;
  /** → /scratch (and HOME) */
  scratchDir: string;
  /** → /tmp (TMPDIR) */
  tmpDir: string;
  /** → /dev/shm (POSIX shared memory and named semaphores) */
  shmDir: string;
}

/** `owner`: the sandbox's uid when it differs from the platform's (the platform runs as root). */
export function makeWorkerDirs(root: string, owner?: number): WorkerDirs {
  const home = join(root, randomUUID());
  // Traversable, not listable: the sandbox user's bwrap mounts the folders below it.
  mkdirSync(home, { mode: 0o711 });
  const dirs = { home, scratchDir: join(home, 'scratch'), tmpDir: join(home, 'tmp'), shmDir: join(home, 'shm') };
  for (const d of [dirs.scratchDir, dirs.tmpDir, dirs.shmDir]) {
    mkdirSync(d, { mode: 0o700 });
    if (owner !== undefined) chownSync(d, owner, owner);
  }
  return dirs;
}

const TMPFS_MAGIC = 0x01021994;

export function scratchRoot(dataDir: string, env: NodeJS.ProcessEnv = process.env): { dir: string; tmpfs: boolean } {
  const pick = (dir: string) => {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    return { dir, tmpfs: isTmpfs(dir) };
  };
  if (env.ASPORA_SCRATCH_DIR) return pick(env.ASPORA_SCRATCH_DIR);
  if (process.platform === 'linux' && isTmpfs('/dev/shm')) {
    try {
      accessSync('/dev/shm', constants.W_OK);
      // One folder per data folder: platforms side by side do not share scratch space.
      return pick(
        join('/dev/shm', `aspora-scratch-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`),
      );
    } catch {
      /* not writable: fall through */
    }
  }
  return pick(join(dataDir, 'runtime', 'scratch'));
}

function isTmpfs(dir: string): boolean {
  try {
    return statfsSync(dir).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}
