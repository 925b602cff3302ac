/**
 * After each execution, every process a handler started and left behind is killed, so nothing
 * of one execution (a background process that could watch the worker) is there for the next one,
 * whoever's request that is. What stays: the launcher, the sandbox's init (pid 1 of its namespace)
 * and the worker itself (the pid it reported in `ready`). Needs the worker's cgroup to list its
 * processes cheaply; without cgroups leftovers live until the worker is retired.
 */
import { readFileSync } from 'node:fs';
import type { WorkerCgroup } from './cgroup.ts';

interface ProcStatus {
  ppid: number;
  /** Own pid in each nested pid namespace, outermost first. */
  nspid: number[];
}

function status(pid: number): ProcStatus | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(text)?.[1] ?? NaN);
    const nspid = (/^NSpid:\s+([\d\s]+)$/m.exec(text)?.[1] ?? String(pid)).trim().split(/\s+/).map(Number);
    return { ppid, nspid };
  } catch {
    return undefined;
  }
}

/** Kills the group's processes that are not the launcher (`rootPid`), the namespace init or the worker. Returns how many. */
export function reapLeftovers(cgroup: WorkerCgroup, rootPid: number, workerNsPid: number): number {
  const pids = cgroup.pids();
  if (pids.length <= 3) return 0; // launcher, init, worker: the common case costs one small read
  const procs = new Map(pids.map((p) => [p, status(p)] as const));
  const init = pids.find((p) => procs.get(p)?.ppid === rootPid && procs.get(p)?.nspid.at(-1) === 1);
  let killed = 0;
  for (const p of pids) {
    const s = procs.get(p);
    if (!s || p === rootPid || p === init) continue;
    if (s.nspid.at(-1) === workerNsPid && (s.ppid === init || s.ppid === rootPid)) continue;
    try {
      process.kill(p, 'SIGKILL');
      killed++;
    } catch {
      /* gone already */
    }
  }
  return killed;
}
