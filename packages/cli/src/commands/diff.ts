import { Option, type Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import { parseSkillRef as parseRef, type ShadowComparison, type ShadowReport } from '@aspora/api';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, red, yellow } from '../output.ts';

/** Changes shown per comparison (the rest are counted). */
const SHOWN = 10;

const value = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null'));

/** One change as a line: `order_id=1042  priority P3 → P1`, `order_id=1050  added`. */
export function changeLine(c: ShadowComparison['changes'][number]): string {
  if (c.kind !== 'changed') return `${c.key}  ${c.kind === 'added' ? green('added') : red('removed')}`;
  const fields = Object.entries(c.fields ?? {}).map(([path, f]) =>
    path === c.key || path === '$'
      ? `${value(f.stable)} → ${value(f.shadow)}`
      : `${path} ${value(f.stable)} → ${value(f.shadow)}`,
  );
  return `${c.key}  ${fields.join(', ')}`;
}

function print(r: ShadowReport): void {
  const rel = r.release;
  if (!rel) {
    process.stderr.write(dim(`${r.ref}: no shadow release in this environment\n`));
    return;
  }
  const max = rel.shadow?.maxDiffPercentage ?? 5;
  const runs = rel.shadow?.runs ?? 0;
  const s = r.summary;
  process.stdout.write(
    `${bold(r.ref)} ${rel.environment}: shadow release ${rel.id} ${rel.stableVersion} → ${rel.canaryVersion} (${rel.status})\n` +
      `runs ${s.runs} · failed ${s.failed} · mean diff ${s.meanDiffPercentage === null ? '–' : `${s.meanDiffPercentage.toFixed(2)}%`} · ` +
      `${s.passingInARow} of ${runs} in a row at most ${max}%\n`,
  );
  for (const c of r.comparisons) {
    if (c.diffPercentage === null) {
      process.stdout.write(`${c.at}  ${red('FAILED')}  ${c.error ?? 'the shadow run failed'}\n`);
      continue;
    }
    const pct = `${c.diffPercentage.toFixed(2)}%`;
    process.stdout.write(
      `${c.at}  ${c.diffPercentage <= max ? green(pct) : yellow(pct)}  ${c.changed} of ${c.compared} changed\n`,
    );
    for (const ch of c.changes.slice(0, SHOWN)) process.stdout.write(`    ${changeLine(ch)}\n`);
    if (c.changed > SHOWN) process.stdout.write(dim(`    … ${c.changed - Math.min(SHOWN, c.changes.length)} more\n`));
  }
}

export function registerDiff(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('diff')
      .description("The shadow report: the newest shadow release's comparisons of stable and the candidate")
      .argument('<skill>', 'domain/name or domain/role/name')
      .addOption(
        new Option('--env <environment>', 'environment').choices(['staging', 'production']).default('production'),
      )
      .option('--limit <n>', 'comparisons, newest first (1–100)', '20')
      .addHelpText(
        'after',
        '\nEach comparison: the percentage of compared items (keyed array elements, other values) that differ,\nand what changed by key, e.g. `order_id=1042  priority P3 → P1`. Start a shadow release with\n`aspora deploy <skill> --canary shadow`.\n\nExamples:\n  aspora diff ecm/manager/triage-and-assign\n  aspora diff ecm/triage-and-assign --env staging --limit 5 --json',
      ),
  ).action(async (skill: string, opts: { env: 'staging' | 'production'; limit: string }, cmd: Command) => {
    const ref = parseRef(skill);
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw new AsporaError('BAD_REQUEST', `--limit must be a whole number from 1 to 100, not ${opts.limit}`, {
        hint: `aspora diff ${ref.id} --limit 10`,
      });
    const r = await ctx.client(cmd).shadowDiff({ params: ref, query: { environment: opts.env, limit } });
    if (ctx.globals(cmd).json) printJson(r);
    else print(r);
  });
}
