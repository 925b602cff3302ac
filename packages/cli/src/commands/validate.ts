import type { Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../program.ts';
import { loadLocalSkill } from '../local-skill.ts';
import { checkSkillAgainstPlatform, fetchOffers, type OffersAnswer, withTeamSecrets } from '../platform-check.ts';
import { dim, formatBytes, green, printIssues, printJson } from '../output.ts';

export function registerValidate(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('validate')
      .description(
        'Check skill folders (aspora.config.yaml, SKILL.md, entry point; the handler compiles in its language; declared APIs and secrets exist on the platform at ASPORA_URL, when one answers) without deploying; every problem is listed with file:line:column',
      )
      .argument('<folders...>', 'skill folders')
      .addHelpText('after', '\nExample:\n  aspora validate skills/fraud/block-transaction'),
    false,
  ).action(async (folders: string[], _opts: unknown, cmd: Command) => {
    const json = ctx.globals(cmd).json;
    const results = [];
    let failed = 0;
    // Asked once, when the first folder is otherwise valid: offline, validate still works.
    let offers: OffersAnswer | undefined;
    for (const f of folders) {
      const s = await loadLocalSkill(f, json ? {} : { log: (m) => process.stderr.write(`${dim('…')} ${m}\n`) });
      const v = s.validation;
      if (v.manifest && !v.issues.length) {
        if (!offers) {
          offers = await fetchOffers(ctx.client(cmd));
          if ('skipped' in offers && !json) process.stderr.write(`${dim('…')} ${offers.skipped}\n`);
        }
        v.issues.push(...checkSkillAgainstPlatform(s, await withTeamSecrets(ctx.client(cmd), s, offers)));
      }
      const cfg = v.manifest?.config.skill;
      results.push({
        folder: s.display,
        valid: v.issues.length === 0,
        ...(v.manifest ? { ref: v.manifest.ref, version: cfg?.version } : {}),
        digest: s.bundle.digest,
        files: s.bundle.files.length,
        bytes: s.bundle.size,
        ...(s.compiled ? { compiled: s.compiled } : {}),
        ...(offers ? { platform: 'offers' in offers ? { checked: offers.from } : { skipped: offers.skipped } } : {}),
        issues: v.issues,
        warnings: v.warnings,
      });
      printIssues(v.issues, 'error');
      printIssues(v.warnings, 'warning');
      if (v.issues.length) failed++;
      else if (!json)
        process.stderr.write(
          `${green('✓')} ${s.display}: ${v.manifest!.ref}@${cfg!.version} is valid (${s.bundle.files.length} files, ${formatBytes(s.bundle.size)}${s.compiled ? `; handler ${s.compiled}` : ''})\n`,
        );
    }
    // One shape whatever the number of folders: scripts read .valid and .results[].
    if (json) printJson({ valid: failed === 0, results });
    if (failed) {
      const n = results.reduce((a, r) => a + r.issues.length, 0);
      if (json) {
        // The JSON result already carries the issues; keep stdout a single document.
        process.exitCode = 1;
        return;
      }
      throw new AsporaError(
        'BUNDLE_INVALID',
        `${n} problem${n === 1 ? '' : 's'} in ${failed} skill folder${failed === 1 ? '' : 's'}`,
        { hint: 'fix the errors listed above and run aspora validate again' },
      );
    }
  });
}
