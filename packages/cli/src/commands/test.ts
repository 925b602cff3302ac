import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../program.ts';
import { loadLocalSkill } from '../local-skill.ts';
import { dim, green, printIssues, printJson, Progress, red } from '../output.ts';
import { parseSkillRef as parseRef, type SkillTestRun } from '@aspora/api';

/** A skill folder's tests, run here in the same sandbox the platform uses (no platform needed). */
async function testFolder(target: string, json: boolean, progress: Progress): Promise<SkillTestRun> {
  progress.step(`validating ${target}`);
  // The tests build the handler themselves; its compiler errors show there.
  const local = await loadLocalSkill(target, { compile: false });
  if (local.validation.issues.length) {
    progress.fail();
    printIssues(local.validation.issues, 'error');
    throw new AsporaError('BUNDLE_INVALID', `${local.display} is not valid`, {
      hint: 'fix the errors above (aspora validate shows them too)',
    });
  }
  const m = local.validation.manifest!;
  // The platform's sandbox loads only for a folder's tests: other commands start fast.
  const { testBundle } = await import('@aspora/platform');
  const run = await testBundle(local.bundle.bytes, {
    digest: local.bundle.digest,
    language: m.config.runtime.language,
    entryPoint: m.config.runtime.entry_point,
    onStart: (mode) =>
      progress.done(
        `${m.ref}@${m.config.skill.version}: ${m.config.runtime.language} tests in ${mode === 'bwrap' ? 'the bubblewrap sandbox' : 'NO sandbox (ASPORA_UNSAFE_NO_SANDBOX=1)'}`,
      ),
    ...(json ? {} : { onOutput: (s: string) => process.stderr.write(s) }),
  });
  return {
    ref: m.ref,
    version: m.config.skill.version,
    language: run.language,
    passed: run.passed,
    exitCode: run.exitCode,
    output: run.output,
    durationMs: run.durationMs,
  };
}

export function registerTest(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('test')
      .description(
        "Run a skill's unit tests (tests/unit) against its handler, inside the sandbox the platform runs handlers in",
      )
      .argument(
        '<target>',
        'a skill folder (tested here), or domain/name[@version] of a deployed skill (tested on the platform)',
      )
      .addOption(
        new Option('--env <environment>', 'with domain/name: the version this environment runs').choices([
          'staging',
          'production',
        ]),
      )
      .addHelpText(
        'after',
        '\nTypeScript: tests/unit/*.test.ts (node:test) · Python: tests/unit/test_*.py (unittest) · Go: tests/unit/*_test.go\n\nExamples:\n  aspora test examples/skills/fraud/block-transaction\n  aspora test fraud/block-transaction --env staging',
      ),
  ).action(async (target: string, o: { env?: string }, cmd: Command) => {
    const { json } = ctx.globals(cmd);
    const progress = new Progress();
    let run: SkillTestRun;
    try {
      if (existsSync(target)) run = await testFolder(target, json, progress);
      else {
        const ref = parseRef(target);
        const api = ctx.client(cmd);
        progress.step(`running the tests of ${ref.id} on ${api.base}`);
        run = await api.testSkill({
          params: ref,
          body: ref.version
            ? { version: ref.version }
            : o.env
              ? { environment: o.env as 'staging' | 'production' }
              : {},
        });
        progress.done(`${run.ref}@${run.version}: ${run.language} tests ran on the platform`);
        if (!json) process.stderr.write(run.output);
      }
    } catch (e) {
      progress.fail();
      throw e;
    }
    if (json) printJson(run);
    else
      process.stderr.write(
        `${run.passed ? green('✓ tests passed') : red(`✗ tests failed (exit ${run.exitCode})`)} ${dim(`${run.ref}@${run.version} in ${(run.durationMs / 1000).toFixed(2)} s`)}\n`,
      );
    if (!run.passed) process.exitCode = 1;
  });
}
