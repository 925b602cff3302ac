import { existsSync, mkdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import type { SkillTestRun } from '@aspora/platform/runtime/skill-tests';
import { common, type CommandContext } from '../main.ts';
import { loadLocalSkill } from '../local-skill.ts';
import { dim, green, printIssues, printJson, Progress, red } from '../output.ts';
import { parseRef } from '../refs.ts';

/** A skill folder's tests, run here in the same sandbox the platform uses (no platform needed). */
async function testFolder(target: string, json: boolean, progress: Progress): Promise<SkillTestRun & { ref: string; version: string }> {
  progress.step(`validating ${target}`);
  // The tests build the handler themselves; its compiler errors show there.
  const local = await loadLocalSkill(target, { compile: false });
  if (local.validation.issues.length) {
    progress.fail();
    printIssues(local.validation.issues, 'error');
    throw new AsporaError('BUNDLE_INVALID', `${local.display} is not valid`, { hint: 'fix the errors above (aspora validate shows them too)' });
  }
  const m = local.validation.manifest!;
  const [{ chooseSandbox }, { cgroupManager }, { writeBundle }, { runSkillTests }] = await Promise.all([
    import('@aspora/platform/runtime/sandbox/detect'),
    import('@aspora/platform/runtime/sandbox/cgroup'),
    import('@aspora/platform/runtime/bundles'),
    import('@aspora/platform/runtime/skill-tests'),
  ]);
  const mode = chooseSandbox();
  // Exactly the bytes a deploy would upload, unpacked as the platform unpacks them.
  const cache = join(tmpdir(), 'aspora-cli-cache');
  mkdirSync(join(cache, 'build'), { recursive: true, mode: 0o755 });
  const work = await mkdtemp(join(tmpdir(), 'aspora-test-'));
  try {
    await chmod(work, 0o755); // the sandbox user reads the bundle below
    const bundleDir = await writeBundle(local.bundle.bytes, join(work, 'bundle'));
    progress.done(`${m.ref}@${m.config.skill.version}: ${m.config.runtime.language} tests in ${mode === 'bwrap' ? 'the bubblewrap sandbox' : 'NO sandbox (ASPORA_UNSAFE_NO_SANDBOX=1)'}`);
    const run = await runSkillTests(
      { bundleDir, language: m.config.runtime.language, entryPoint: m.config.runtime.entry_point, cacheDir: join(cache, 'build', local.bundle.digest.slice(7)), memoryMb: 512, shared: [] },
      { mode, scratchRoot: work, cgroups: mode === 'bwrap' ? cgroupManager() : undefined, ...(json ? {} : { onOutput: (s: string) => process.stderr.write(s) }) },
    );
    return { ...run, ref: m.ref, version: m.config.skill.version };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export function registerTest(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('test')
      .description("Run a skill's unit tests (tests/unit) against its handler, inside the sandbox the platform runs handlers in")
      .argument('<target>', 'a skill folder (tested here), or domain/name[@version] of a deployed skill (tested on the platform)')
      .addOption(new Option('--env <environment>', 'with domain/name: the version this environment runs').choices(['staging', 'production']))
      .addHelpText('after', '\nTypeScript: tests/unit/*.test.ts (node:test) · Python: tests/unit/test_*.py (unittest) · Go: tests/unit/*_test.go\n\nExamples:\n  aspora test examples/skills/fraud/block-transaction\n  aspora test fraud/block-transaction --env staging'),
  ).action(async (target: string, o: { env?: string }, cmd: Command) => {
    const { json } = ctx.globals(cmd);
    const progress = new Progress();
    let run: SkillTestRun & { ref: string; version: string };
    try {
      if (existsSync(target)) run = await testFolder(target, json, progress);
      else {
        const ref = parseRef(target);
        progress.step(`running the tests of ${ref.id} on ${ctx.client(cmd).base}`);
        run = await ctx.client(cmd).post(`${ref.path}/tests`, ref.version ? { version: ref.version } : o.env ? { environment: o.env } : {});
        progress.done(`${run.ref}@${run.version}: ${run.language} tests ran on the platform`);
        if (!json) process.stderr.write(run.output);
      }
    } catch (e) {
      progress.fail();
      throw e;
    }
    if (json) printJson(run);
    else process.stderr.write(`${run.passed ? green('✓ tests passed') : red(`✗ tests failed (exit ${run.exitCode})`)} ${dim(`${run.ref}@${run.version} in ${(run.durationMs / 1000).toFixed(2)} s`)}\n`);
    if (!run.passed) process.exitCode = 1;
  });
}
