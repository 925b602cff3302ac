/**
 * A skill bundle's unit tests run on this machine, in the sandbox the platform runs handlers in,
 * without a platform: what `aspora test <folder>` does. The bytes are unpacked exactly as the
 * platform unpacks an upload.
 */
import { mkdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle } from './bundles.ts';
import { cgroupManager } from './sandbox/cgroup.ts';
import { chooseSandbox, type SandboxMode } from './sandbox/detect.ts';
import { runSkillTests, type SkillTestRun } from './skill-tests.ts';

export interface BundleTestOptions {
  /** sha256:… of the bytes: the build cache is kept per digest. */
  digest: string;
  language: string;
  entryPoint: string;
  /** Told which sandbox will run the tests, before they start. */
  onStart?: (mode: SandboxMode) => void;
  /** The tests' output as it comes; without it, only the result's `output` has it. */
  onOutput?: (text: string) => void;
}

export async function testBundle(
  bytes: Uint8Array,
  o: BundleTestOptions,
): Promise<SkillTestRun & { sandbox: SandboxMode }> {
  const mode = chooseSandbox();
  const cache = join(tmpdir(), 'aspora-cli-cache');
  mkdirSync(join(cache, 'build'), { recursive: true, mode: 0o755 });
  const work = await mkdtemp(join(tmpdir(), 'aspora-test-'));
  try {
    await chmod(work, 0o755); // the sandbox user reads the bundle below
    const bundleDir = await writeBundle(bytes, join(work, 'bundle'));
    o.onStart?.(mode);
    const run = await runSkillTests(
      {
        bundleDir,
        language: o.language,
        entryPoint: o.entryPoint,
        cacheDir: join(cache, 'build', o.digest.replace(/^sha256:/, '')),
        memoryMb: 512,
        shared: [],
      },
      {
        mode,
        scratchRoot: work,
        cgroups: mode === 'bwrap' ? cgroupManager() : undefined,
        ...(o.onOutput ? { onOutput: o.onOutput } : {}),
      },
    );
    return { ...run, sandbox: mode };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
