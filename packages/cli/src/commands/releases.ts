import { Option, type Command } from 'commander';
import { parseSkillRef as parseRef, type Release, type VariantStats } from '@aspora/api';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, table, yellow } from '../output.ts';

const ENV = () =>
  new Option('--env <environment>', 'environment').choices(['staging', 'production']).default('production');

export function registerReleases(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('releases')
      .description(
        "A skill's releases, newest first: stable and canary side by side (traffic, executions, success, p95, cost, ratings), then every decision",
      )
      .argument('<skill>', 'domain/name or domain/role/name')
      .addOption(new Option('--env <environment>', 'only this environment').choices(['staging', 'production']))
      .option('--limit <n>', 'how many releases', (v) => Number.parseInt(v, 10), 5)
      .addHelpText(
        'after',
        '\nExamples:\n  aspora releases ecm/field/my-tickets\n  aspora releases ecm/field/my-tickets --env production --json',
      ),
  ).action(async (skill: string, opts: { env?: 'staging' | 'production'; limit: number }, cmd: Command) => {
    const ref = parseRef(skill);
    const list = await ctx.client(cmd).listReleases({
      params: ref,
      query: { ...(opts.env ? { environment: opts.env } : {}), limit: opts.limit },
    });
    if (ctx.globals(cmd).json) return printJson(list);
    if (!list.releases.length) {
      process.stdout.write(
        `${dim(`${list.ref} has had no release${opts.env ? ` in ${opts.env}` : ''}; start one with aspora deploy ${list.ref} --env production --canary 10`)}\n`,
      );
      return;
    }
    process.stdout.write(`${list.releases.map(formatRelease).join('\n\n')}\n`);
  });

  common(
    program
      .command('promote')
      .description(
        'Promote the release in flight now: the environment runs the candidate (no waiting for the analysis)',
      )
      .argument('<skill>', 'domain/name or domain/role/name')
      .addOption(ENV())
      .addHelpText(
        'after',
        '\nExamples:\n  aspora promote ecm/field/my-tickets\n  aspora promote ecm/field/my-tickets --env staging',
      ),
  ).action(async (skill: string, opts: { env: 'staging' | 'production' }, cmd: Command) => {
    const ref = parseRef(skill);
    const d = await ctx.client(cmd).promote({ params: ref, body: { environment: opts.env } });
    if (ctx.globals(cmd).json) return printJson(d);
    process.stderr.write(
      `${green('✓')} ${opts.env}: ${ref.id} ${d.release?.stableVersion ?? d.previousVersion ?? '?'} → ${d.version} (release #${d.release?.id} promoted)\n`,
    );
  });
}

/** One release: its head line, both sides in a table, the decisions. */
export function formatRelease(r: Release): string {
  const open = r.status === 'active' || r.status === 'proposed';
  const status = open ? yellow(r.status) : r.status === 'promoted' ? green(r.status) : r.status;
  const out = [
    `${bold(`#${r.id}`)} ${r.ref}  ${r.environment}  ${r.mode}  ${status}  ${r.stableVersion} → ${r.canaryVersion}`,
    dim(
      `  ${r.mode === 'split' ? `steps ${r.steps.map((s, i) => (i === r.step && open ? `[${s}%]` : `${s}%`)).join(' → ')}  ` : ''}` +
        `started ${r.createdAt}${r.createdBy ? ` by ${r.createdBy}` : ''}` +
        `${r.monitorUntil ? `  monitor until ${r.monitorUntil}` : ''}  rollback on error: ${r.rollbackOnError ? 'yes' : 'no'}`,
    ),
  ];
  if (r.current) {
    const share = r.mode === 'shadow' ? ['100%', 'shadow'] : [`${100 - r.percentage}%`, `${r.percentage}%`];
    out.push(
      table([
        ['', 'traffic', 'executions', 'success', 'p95', 'cost/exec', 'ratings'],
        row(`  stable ${r.stableVersion}`, share[0]!, r.current.stable),
        row(`  canary ${r.canaryVersion}`, share[1]!, r.current.canary),
      ]),
    );
  } else if (r.canarySuccessRate !== null) {
    out.push(`  canary success ${pct(r.canarySuccessRate)}${r.endedReason ? dim(`  (${r.endedReason})`) : ''}`);
  } else if (r.endedReason) out.push(dim(`  ${r.endedReason}`));
  if (r.decisions.length) {
    out.push('  decisions');
    for (const d of r.decisions)
      out.push(
        `    ${dim(d.at)}  step ${d.step} (${d.percentage}%)  ${d.outcome.padEnd(8)} ${d.reason}${dim(`  by ${d.actor}`)}`,
      );
  }
  return out.join('\n');
}

function row(label: string, traffic: string, s: VariantStats): string[] {
  return [
    label,
    traffic,
    String(s.executions),
    s.successRate === null ? '-' : pct(s.successRate),
    s.p95Ms === null ? '-' : `${s.p95Ms} ms`,
    s.costPerExecution === null ? '-' : `$${s.costPerExecution.toFixed(4)}`,
    s.meanRating === null ? '-' : `${s.meanRating.toFixed(1)} (${s.ratings})`,
  ];
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The line a deploy or rollback prints about the release it started or ended. */
export function releaseLine(r: Release): string {
  if (r.status === 'active' || r.status === 'proposed')
    return r.mode === 'shadow'
      ? `${r.environment}: ${r.ref} ${r.canaryVersion} runs in shadow beside ${r.stableVersion} (release #${r.id}; aspora diff ${r.ref})`
      : `${r.environment}: ${r.ref} ${r.canaryVersion} takes ${r.percentage}% beside ${r.stableVersion} (release #${r.id}, steps ${r.steps.join(' → ')}; aspora releases ${r.ref})`;
  return `${r.environment}: release #${r.id} of ${r.ref} ${r.status.replace('_', ' ')}: ${r.status === 'promoted' ? r.canaryVersion : r.stableVersion} serves everything`;
}
