/**
 * `aspora test`: a skill's own tests (tests/unit) run against its handler inside the same sandbox
 * the platform runs the handler in: same mounts, limits, no network, only /scratch writable.
 * The language adapter says how (node --test, python -m unittest, a Go test binary).
 */
import { mkdirSync, chownSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AsporaError } from '@aspora/sdk';
import { adapterFor } from './languages/index.ts';
import type { CgroupManager } from './sandbox/cgroup.ts';
import type { SandboxMode } from './sandbox/detect.ts';
import { launch, type SandboxLayout } from './sandbox/launch.ts';
import { removeTree } from './sandbox/remove.ts';

export interface SkillTestRun {
  passed: boolean;
  exitCode: number | null;
  /** stdout and stderr interleaved as they came (capped). */
  output: string;
  durationMs: number;
  language: string;
}

export interface SkillTestTarget {
  bundleDir: string;
  language: string;
  entryPoint: string;
  /** Build cache of this bundle (the runtime's build/<digest>, or a temp folder). */
  cacheDir: string;
  memoryMb: number;
  shared: SandboxLayout['shared'];
}

const OUTPUT_CAP = 1024 * 1024;
const SANDBOX_UID = 65534;

export async function runSkillTests(
  t: SkillTestTarget,
  o: {
    mode: SandboxMode;
    scratchRoot: string;
    timeoutMs?: number;
    cgroups?: CgroupManager | undefined;
    onOutput?: (chunk: string) => void;
  },
): Promise<SkillTestRun> {
  const started = performance.now();
  await mkdir(t.cacheDir, { recursive: true, mode: 0o755 });
  const spec = await adapterFor(t.language).prepareTests({
    bundleDir: t.bundleDir,
    entryPoint: t.entryPoint,
    cacheDir: t.cacheDir,
    sandbox: { mode: o.mode, cgroups: o.cgroups },
  });
  const scratchDir = join(o.scratchRoot, `test-${randomUUID()}`);
  mkdirSync(scratchDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0 && o.mode === 'bwrap') chownSync(scratchDir, SANDBOX_UID, SANDBOX_UID);
  const limits = {
    memoryMb: Math.max(t.memoryMb, 512),
    cpu: 0,
    cpuSeconds: 600,
    maxProcesses: 256,
    maxFileMb: 64,
    tmpMb: 128,
  };
  const cgroup = o.cgroups?.create(`t-${randomUUID()}`, {
    memoryMb: limits.memoryMb,
    maxProcesses: limits.maxProcesses,
    cpu: 0,
  });
  const timeoutMs = o.timeoutMs ?? 5 * 60_000;
  try {
    const { child, channel } = launch(
      o.mode,
      spec,
      { bundleDir: t.bundleDir, scratchDir, shared: t.shared },
      limits,
      cgroup,
    );
    channel.destroy();
    let output = '';
    const take = (d: Buffer) => {
      const s = d.toString('utf8');
      o.onOutput?.(s);
      if (output.length < OUTPUT_CAP) output += s;
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
        output += `\n[aspora] the tests did not finish within ${timeoutMs} ms and were stopped\n`;
      }, timeoutMs);
      child.once(
        'error',
        (e) => (
          clearTimeout(timer), reject(new AsporaError('SANDBOX_UNAVAILABLE', `cannot start the tests: ${e.message}`))
        ),
      );
      child.once('exit', (code) => (clearTimeout(timer), resolve(code)));
    });
    return {
      passed: exitCode === 0,
      exitCode,
      output,
      durationMs: Math.round(performance.now() - started),
      language: t.language,
    };
  } finally {
    cgroup?.killAll();
    await cgroup?.remove();
    // By handle, never following a link the tests left (something of theirs may still be writing).
    await removeTree(scratchDir);
  }
}
