/**
 * Per-worker resource caps with cgroups: memory (runtime.memory, swap included), processes and
 * threads (a fork bomb stops at the cap), and CPU (runtime.cpu cores as a CFS quota); the freezer
 * stops a worker while its folders are reset between executions. cgroup v2
 * when this process may create child groups with the memory and pids controllers (a delegated
 * subtree: ASPORA_CGROUP_ROOT, or the container's own root); otherwise cgroup v1 when its memory
 * and pids hierarchies are writable; otherwise none, and the launcher falls back to rlimits.
 * Groups are created below the platform's own group, so a supervisor's limits still hold.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CgroupLimits {
  memoryMb: number;
  maxProcesses: number;
  /** Cores; 0 = no CPU cap. */
  cpu: number;
}

export interface WorkerCgroup {
  /** Files a process writes its pid to, to join (one per v1 hierarchy; one for v2). */
  readonly procsFiles: string[];
  /** (Re)sets the caps; a pre-started group gets the worker's own when it is taken. */
  setLimits(limits: CgroupLimits): void;
  /** Processes in the group now (host pids). */
  pids(): number[];
  /** Was a process of this group killed by the memory cap? */
  oomKilled(): boolean;
  /** SIGKILL to every process still in the group (a frozen group is thawed so that they die). */
  killAll(): void;
  /**
   * Stops every process of the group where they are (the cgroup freezer), until thaw(). False
   * when there is no freezer or the group did not freeze within a short wait.
   */
  freeze(): Promise<boolean>;
  thaw(): void;
  /** Removes the group once it is empty (retries briefly while the kernel reaps). */
  remove(): Promise<void>;
}

export interface CgroupManager {
  readonly version: 1 | 2;
  create(id: string, limits: CgroupLimits): WorkerCgroup | undefined;
}

const MOUNT = '/sys/fs/cgroup';
const PERIOD_US = 100_000;

/** Own group path per hierarchy, from /proc/self/cgroup ("4:memory:/a/b", "0::/a"). */
function ownPaths(): Map<string, string> {
  const m = new Map<string, string>();
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, ctrls, path] = line.split(':');
      if (ctrls === undefined || path === undefined) continue;
      for (const c of ctrls === '' ? ['unified'] : ctrls.split(',')) m.set(c, path);
    }
  } catch {
    /* not Linux */
  }
  return m;
}

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

function readInt(file: string, key?: string): number {
  try {
    const text = readFileSync(file, 'utf8');
    if (!key) return Number(text.trim()) || 0;
    const m = new RegExp(`^${key} (\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Until `done()` (a freeze takes effect as each process next runs), for at most ~100 ms. */
async function settled(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    if (done()) return true;
    await new Promise((r) => (i < 10 ? setImmediate(r) : setTimeout(r, 5)));
  }
  return done();
}

function readPids(procsFile: string): number[] {
  try {
    return readFileSync(procsFile, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killPids(procsFile: string): void {
  for (const p of readPids(procsFile)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

async function removeDirs(dirs: string[], kill: () => void): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const left = dirs.filter((d) => existsSync(d));
    if (!left.length) return;
    for (const d of left) {
      try {
        rmdirSync(d);
      } catch {
        /* still has processes: the kernel is reaping them */
      }
    }
    if (attempt === 5) kill();
    await new Promise((r) => setTimeout(r, 25 * (attempt + 1)));
  }
}

class V1 implements CgroupManager {
  readonly version = 1 as const;
  constructor(
    private readonly bases: { memory: string; pids: string; cpu: string | undefined; freezer: string | undefined },
  ) {}

  create(id: string, first: CgroupLimits): WorkerCgroup | undefined {
    const dirs = {
      memory: join(this.bases.memory, id),
      pids: join(this.bases.pids, id),
      ...(this.bases.cpu ? { cpu: join(this.bases.cpu, id) } : {}),
      ...(this.bases.freezer ? { freezer: join(this.bases.freezer, id) } : {}),
    };
    let l = first;
    const setLimits = (next: CgroupLimits) => {
      l = next;
      // Lowering memory.limit_in_bytes below memsw is refused: set memsw first when lowering.
      const bytes = String(l.memoryMb * 1024 * 1024);
      const memsw = join(dirs.memory, 'memory.memsw.limit_in_bytes');
      const hasSwap = existsSync(memsw);
      if (hasSwap) tryWrite(memsw, bytes);
      writeFileSync(join(dirs.memory, 'memory.limit_in_bytes'), bytes);
      // With swap accounting on, cap memory+swap too, or the cap only moves pages to swap.
      if (hasSwap) tryWrite(memsw, bytes);
      writeFileSync(join(dirs.pids, 'pids.max'), String(l.maxProcesses));
      if (dirs.cpu)
        tryWrite(join(dirs.cpu, 'cpu.cfs_period_us'), String(PERIOD_US)) &&
          tryWrite(join(dirs.cpu, 'cpu.cfs_quota_us'), l.cpu > 0 ? String(Math.round(l.cpu * PERIOD_US)) : '-1');
    };
    try {
      for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
      setLimits(first);
    } catch {
      void removeDirs(Object.values(dirs), () => undefined);
      return undefined;
    }
    const procsFiles = Object.values(dirs).map((d) => join(d, 'cgroup.procs'));
    const state = dirs.freezer && join(dirs.freezer, 'freezer.state');
    const thaw = () => void (state && tryWrite(state, 'THAWED'));
    // v1: a frozen process stays frozen with a SIGKILL pending until it is thawed.
    const killAll = () => (procsFiles.forEach(killPids), thaw());
    return {
      procsFiles,
      setLimits,
      pids: () => readPids(join(dirs.pids, 'cgroup.procs')),
      oomKilled: () =>
        readInt(join(dirs.memory, 'memory.oom_control'), 'oom_kill') > 0 ||
        (readInt(join(dirs.memory, 'memory.failcnt')) > 0 &&
          readInt(join(dirs.memory, 'memory.max_usage_in_bytes')) >= l.memoryMb * 1024 * 1024),
      killAll,
      freeze: async () => !!state && tryWrite(state, 'FROZEN') && (await settled(() => readText(state) === 'FROZEN')),
      thaw,
      remove: () => removeDirs(Object.values(dirs), killAll),
    };
  }
}

class V2 implements CgroupManager {
  readonly version = 2 as const;
  constructor(private readonly base: string) {}

  create(id: string, first: CgroupLimits): WorkerCgroup | undefined {
    const dir = join(this.base, id);
    const setLimits = (l: CgroupLimits) => {
      writeFileSync(join(dir, 'memory.max'), String(l.memoryMb * 1024 * 1024));
      tryWrite(join(dir, 'memory.swap.max'), '0');
      writeFileSync(join(dir, 'pids.max'), String(l.maxProcesses));
      tryWrite(join(dir, 'cpu.max'), l.cpu > 0 ? `${Math.round(l.cpu * PERIOD_US)} ${PERIOD_US}` : `max ${PERIOD_US}`);
    };
    try {
      mkdirSync(dir);
      setLimits(first);
    } catch {
      void removeDirs([dir], () => undefined);
      return undefined;
    }
    const procs = join(dir, 'cgroup.procs');
    // v2 delivers SIGKILL to frozen processes: no thaw needed first.
    const killAll = () => (tryWrite(join(dir, 'cgroup.kill'), '1') ? undefined : killPids(procs));
    return {
      procsFiles: [procs],
      setLimits,
      pids: () => readPids(procs),
      oomKilled: () => readInt(join(dir, 'memory.events'), 'oom_kill') > 0,
      killAll,
      freeze: async () =>
        tryWrite(join(dir, 'cgroup.freeze'), '1') &&
        (await settled(() => readInt(join(dir, 'cgroup.events'), 'frozen') === 1)),
      thaw: () => void tryWrite(join(dir, 'cgroup.freeze'), '0'),
      remove: () => removeDirs([dir], killAll),
    };
  }
}

function detectV2(env: NodeJS.ProcessEnv): CgroupManager | undefined {
  const own = ownPaths().get('unified');
  const root = env.ASPORA_CGROUP_ROOT || (own === '/' ? MOUNT : undefined);
  if (!root || !existsSync(join(root, 'cgroup.controllers'))) return undefined;
  const available = readFileSync(join(root, 'cgroup.controllers'), 'utf8').split(/\s+/);
  if (!available.includes('memory') || !available.includes('pids')) return undefined;
  const base = join(root, 'aspora-workers');
  try {
    mkdirSync(base, { recursive: true });
    // Controllers must be enabled on every level down to the workers' groups.
    writeFileSync(join(root, 'cgroup.subtree_control'), `+memory +pids${available.includes('cpu') ? ' +cpu' : ''}`);
    writeFileSync(join(base, 'cgroup.subtree_control'), `+memory +pids${available.includes('cpu') ? ' +cpu' : ''}`);
  } catch {
    return undefined;
  }
  return new V2(base);
}

function detectV1(): CgroupManager | undefined {
  const own = ownPaths();
  const at = (ctrl: string) =>
    existsSync(join(MOUNT, ctrl, 'cgroup.procs'))
      ? join(MOUNT, ctrl, own.get(ctrl) ?? '/', 'aspora-workers')
      : undefined;
  const memory = at('memory');
  const pids = at('pids');
  if (!memory || !pids) return undefined;
  const cpuBase = at('cpu');
  try {
    mkdirSync(memory, { recursive: true });
    mkdirSync(pids, { recursive: true });
  } catch {
    return undefined;
  }
  let cpu: string | undefined;
  try {
    if (cpuBase) mkdirSync(cpuBase, { recursive: true }), (cpu = cpuBase);
  } catch {
    cpu = undefined;
  }
  return new V1({ memory, pids, cpu, freezer: freezerBase(at('freezer')) });
}

/**
 * The v1 freezer's base, with one empty group kept frozen for good: the kernel switches a static
 * key on when the first group freezes and off when the last thaws, and patching kernel text costs
 * ~6 ms per freeze and ~8 ms per thaw here (measured, kernel 6.18); with the key held on, a
 * freeze and thaw of a worker cost ~0.2 ms.
 */
function freezerBase(base: string | undefined): string | undefined {
  if (!base) return undefined;
  try {
    const anchor = join(base, 'freeze-anchor');
    mkdirSync(anchor, { recursive: true });
    writeFileSync(join(anchor, 'freezer.state'), 'FROZEN');
    return base;
  } catch {
    return undefined;
  }
}

let detected: CgroupManager | null | undefined;

/** ASPORA_CGROUPS=off disables them (rlimits only). Probed once per process. */
export function cgroupManager(env: NodeJS.ProcessEnv = process.env): CgroupManager | undefined {
  if (env.ASPORA_CGROUPS === 'off' || process.platform !== 'linux') return undefined;
  if (detected === undefined) detected = detectV2(env) ?? detectV1() ?? null;
  return detected ?? undefined;
}
