/**
 * CPU time from /proc: per process (utime + stime of every thread, children not included) and for
 * the whole machine, so a measurement can tell how much CPU something outside the benchmark took.
 * Linux only; the resolution is one clock tick (10 ms at CLK_TCK 100), so measure over ≥ 1 s.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** CPU ms a process has used so far (all its threads). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // fields 14 and 15: utime, stime
}

/** CPU ms the whole machine has been busy (every core, all but idle and iowait). */
export function machineBusyMs(): number {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = v as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}

export interface CpuWindow {
  wallMs: number;
  /** CPU ms of each watched pid. */
  byPid: Map<number, number>;
  /** Cores' worth of CPU used by processes that are not watched (other work on the machine). */
  foreignCores: number;
}

/** Starts a window over the given pids; call the returned function to close it. */
export function cpuWindow(pids: number[]): () => CpuWindow {
  const t0 = performance.now();
  const m0 = machineBusyMs();
  const p0 = pids.map(processCpuMs);
  return () => {
    const p1 = pids.map(processCpuMs);
    const wallMs = performance.now() - t0;
    const byPid = new Map(pids.map((pid, i) => [pid, p1[i]! - p0[i]!]));
    const ours = [...byPid.values()].reduce((a, b) => a + b, 0);
    return { wallMs, byPid, foreignCores: Math.max(0, machineBusyMs() - m0 - ours) / wallMs };
  };
}

/**
 * Waits (in 250 ms steps, at most `maxWaitMs`) until other work on the machine takes at most
 * `limitCores`; returns how long it waited. A shared machine's bursts mostly pass in seconds.
 */
export async function waitForQuiet(pids: number[], limitCores: number, maxWaitMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < maxWaitMs) {
    const close = cpuWindow(pids);
    await new Promise((r) => setTimeout(r, 250));
    if (close().foreignCores <= limitCores) break;
  }
  return performance.now() - t0;
}
