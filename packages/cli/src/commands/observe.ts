import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import type { Figures, Rollup } from '@aspora/platform/observe/rollups/query';
import type { FeedbackRecord } from '@aspora/platform/observe/feedback';
import type { LogLine } from '@aspora/platform/observe/logs';
import { common, type CommandContext } from '../main.ts';
import { bold, dim, green, printJson, red, table, yellow } from '../output.ts';
import { parseRef } from '../refs.ts';

const LEVEL_COLOUR = { debug: dim, info: (s: string) => s, warn: yellow, error: red } as const;

function printLine(l: LogLine, json: boolean): void {
  if (json) return void process.stdout.write(`${JSON.stringify(l)}\n`);
  const t = l.at.slice(11, 23);
  const lvl = LEVEL_COLOUR[l.level](l.level.padEnd(5));
  process.stdout.write(`${dim(t)} ${lvl} ${dim(l.executionId.slice(0, 8))} ${l.msg}${l.fields && Object.keys(l.fields).length ? ` ${dim(JSON.stringify(l.fields))}` : ''}\n`);
}

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);
const ms = (x: number | null) => (x === null ? '–' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);

function figuresRow(name: string, f: Figures): string[] {
  return [name, String(f.executions), pct(f.successRate), pct(f.errorRate), ms(f.p50Ms), ms(f.p95Ms), ms(f.p99Ms), `$${f.cost.toFixed(4)}`, f.satisfaction === null ? '–' : `${f.satisfaction.toFixed(2)}/5 (${f.ratings})`];
}

export function registerObserve(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('logs')
      .description("A skill's execution logs: recent ones, or live as executions happen (--follow)")
      .argument('<skill>', 'domain/name')
      .option('-f, --follow', 'keep streaming new lines (Ctrl-C stops)', false)
      .option('--since <duration>', 'how far back to start', '15m')
      .addOption(new Option('--level <level>', 'lowest level shown').choices(['debug', 'info', 'warn', 'error']).default('debug')),
  ).action(async (skill: string, o: { follow: boolean; since: string; level: string }, cmd: Command) => {
    const ref = parseRef(skill);
    const { json } = ctx.globals(cmd);
    const api = ctx.client(cmd);
    const qs = `since=${encodeURIComponent(o.since)}&level=${o.level}`;
    if (!o.follow) {
      const r = await api.get<{ lines: LogLine[] }>(`${ref.path}/logs?${qs}`);
      for (const l of r.lines) printLine(l, json);
      if (!json && !r.lines.length) process.stderr.write(dim(`no log lines in the last ${o.since}\n`));
      return;
    }
    const events = await api.events(`${ref.path}/logs?${qs}&follow=true`);
    if (!json) process.stderr.write(dim(`following ${ref.id} (Ctrl-C stops)\n`));
    for await (const e of events) if (e.data) printLine(JSON.parse(e.data) as LogLine, json);
  });

  common(
    program
      .command('metrics')
      .description('Executions, success and error rates, p50/p95/p99, cost and satisfaction of a skill, a domain or the platform')
      .argument('[target]', 'domain/name, a domain, or nothing for the whole platform')
      .option('--last <window>', 'window, in whole hours (1h, 24h, 7d)', '24h'),
  ).action(async (target: string | undefined, o: { last: string }, cmd: Command) => {
    if (target && !/^[a-z0-9-]+(\/[a-z0-9-]+){0,2}$/.test(target)) throw new AsporaError('BAD_REQUEST', `"${target}" is not a skill or a domain`, { hint: 'fraud/block-transaction, fraud, or nothing for the platform' });
    const t = target?.includes('/') ? parseRef(target).id : target;
    const r = await ctx.client(cmd).get<Rollup>(`/v1/metrics?last=${encodeURIComponent(o.last)}${t ? `&target=${encodeURIComponent(t)}` : ''}`);
    if (ctx.globals(cmd).json) return printJson(r);
    process.stdout.write(`${bold(r.name)} ${dim(`last ${r.window.last} (since ${r.window.from.slice(0, 16).replace('T', ' ')} UTC)`)}\n\n`);
    const head = ['', 'executions', 'success', 'errors', 'p50', 'p95', 'p99', 'cost', 'satisfaction'];
    const rows = [head, figuresRow(r.scope === 'platform' ? 'platform' : r.name, r.figures), ...r.children.map((c) => figuresRow(`  ${c.name}`, c.figures))];
    process.stdout.write(`${table(rows)}\n`);
  });

  const feedback = common(
    program
      .command('feedback')
      .description('Rate or correct an execution (a correction becomes a regression case); list and export feedback')
      .argument('[execution-id]', 'the execution to rate (printed by aspora run)')
      .option('--rating <1-5>', 'how good the result was', (v) => Number(v))
      .option('--correction <text>', 'what the skill should have done'),
  ).action(async (id: string | undefined, o: { rating?: number; correction?: string }, cmd: Command) => {
    if (!id) throw new AsporaError('BAD_REQUEST', 'which execution?', { hint: 'aspora feedback <execution-id> --rating 2 --correction "…", or aspora feedback list' });
    const f = await ctx.client(cmd).post<FeedbackRecord>(`/v1/executions/${encodeURIComponent(id)}/feedback`, { ...(o.rating !== undefined ? { rating: o.rating } : {}), ...(o.correction ? { correction: o.correction } : {}) });
    if (ctx.globals(cmd).json) printJson(f);
    else process.stderr.write(`${green('✓')} feedback on ${f.ref} execution ${f.executionId}${f.rating ? ` rated ${f.rating}/5` : ''}${f.correction ? ': the correction is a regression case now (aspora feedback export ' + f.ref + ')' : ''}\n`);
  });
  common(feedback.command('list').description('Feedback, newest first').argument('[skill]', 'domain/name').option('--corrections', 'only corrections', false).option('--limit <n>', 'how many', '50')).action(
    async (skill: string | undefined, o: { corrections: boolean; limit: string }, cmd: Command) => {
      const r = await ctx.client(cmd).get<{ feedback: FeedbackRecord[] }>(`/v1/feedback?limit=${Number(o.limit)}${o.corrections ? '&corrections=true' : ''}${skill ? `&skill=${parseRef(skill).id}` : ''}`);
      if (ctx.globals(cmd).json) return printJson(r);
      if (!r.feedback.length) return void process.stderr.write(dim('no feedback yet\n'));
      process.stdout.write(`${table([['when', 'skill', 'execution', 'rating', 'correction'], ...r.feedback.map((f) => [f.createdAt.slice(0, 16).replace('T', ' '), f.ref, f.executionId.slice(0, 8), f.rating ? `${f.rating}/5` : '–', (f.correction ?? '').slice(0, 60)])])}\n`);
    },
  );
  common(feedback.command('export').description("A skill's corrections as a promptfoo test-case file").argument('<skill>', 'domain/name').option('-o, --output <file>', 'write to a file instead of stdout')).action(
    async (skill: string, o: { output?: string }, cmd: Command) => {
      const ref = parseRef(skill);
      const text = await ctx.client(cmd).text(`${ref.path}/feedback/export`);
      if (o.output) {
        writeFileSync(o.output, text);
        process.stderr.write(`${green('✓')} ${(text.match(/^- description:/gm) ?? []).length} regression cases of ${ref.id} → ${o.output}\n`);
      } else process.stdout.write(text);
    },
  );
}
