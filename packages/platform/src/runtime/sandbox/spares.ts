/**
 * A few spare launchers per platform (launch.ts, spawnSpare): shells already moved into fresh
 * cgroups, waiting for a worker's command. A cold start takes one and its group gets the worker's
 * caps; a new spare is made in the background. Without cgroups there is nothing to prepare.
 */
import { randomUUID } from 'node:crypto';
import type { CgroupManager } from './cgroup.ts';
import { spawnSpare, type SpareLauncher } from './launch.ts';

/** Caps of a spare before it is taken: it runs nothing but a waiting shell. */
const IDLE_LIMITS = { memoryMb: 32, maxProcesses: 8, cpu: 0 };

export class SparePool {
  readonly #ready: SpareLauncher[] = [];
  #making = 0;
  #closed = false;

  constructor(
    private readonly cgroups: CgroupManager,
    private readonly size = 2,
  ) {}

  /** A spare now if one is ready (and another is started), else undefined: launch the usual way. */
  take(): SpareLauncher | undefined {
    let s: SpareLauncher | undefined;
    while ((s = this.#ready.shift()) && s.child.exitCode !== null) void s.cgroup.remove();
    this.#fill();
    return s;
  }

  /** Starts making spares up to the pool size. */
  #fill(): void {
    while (!this.#closed && this.#ready.length + this.#making < this.size) {
      const cgroup = this.cgroups.create(`s-${randomUUID()}`, IDLE_LIMITS);
      if (!cgroup) return;
      this.#making++;
      spawnSpare(cgroup).then(
        (s) => {
          this.#making--;
          if (this.#closed) return this.#discard(s);
          s.child.once('exit', () => void s.cgroup.remove());
          this.#ready.push(s);
        },
        () => {
          this.#making--;
          void cgroup.remove();
        },
      );
    }
  }

  warm(): void {
    this.#fill();
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#ready.splice(0)) this.#discard(s);
  }

  #discard(s: SpareLauncher): void {
    try {
      process.kill(-s.child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    void s.cgroup.remove();
  }
}
