import { writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Option, type Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, red, table, yellow } from '../output.ts';
import { isSlug, parseSkillRef as parseRef, type Figures, type LogLine } from '@aspora/api';

const LEVEL_COLOUR = { debug: dim, info: (s: string) => s, warn: yellow, error: red } as const;

/** A line for people; with --json --follow, one JSON document per line (a stream has no end to close a document). */
function printLine(l: LogLine, json: boolean): void {
  if (json) return void process.stdout.write(`${JSON.stringify(l)}\n`);
  const t = l.at.slice(11, 23);
  const lvl = LEVEL_COLOUR[l.level](l.level.padEnd(5));
  process.stdout.write(
    `${dim(t)} ${lvl} ${dim(l.executionId.slice(0, 8))} ${l.msg}${l.fields && Object.keys(l.fields).length ? ` ${dim(JSON.stringify(l.fields))}` : ''}\n`,
  );
}

// More decimals rather than a 99.96 % success rate shown as 100.0 % (or 0.04 % errors as 0.0 %).
export const pct = (x: number | null) => {
  if (x === null) return '–';
  let d = 1;
  while (d < 4 && x !== 0 && x !== 1 && [0, 100].includes(Number((x * 100).toFixed(d)))) d++;
  return `${(x * 100).toFixed(d)} %`;
};
const ms = (x: number | null) => (x === null ? '–' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);

/** Dollars to 4 decimals; a cost too small for them reads as under $0.0001, not as nothing. */
export const usd = (x: number) => (x > 0 && x < 0.00005 ? '<$0.0001' : `$${x.toFixed(4)}`);

function figuresRow(name: string, f: Figures): string[] {
  return [
    name,
    String(f.executions),
    pct(f.successRate),
    pct(f.errorRate),
    ms(f.p50Ms),
    ms(f.p95Ms),
    ms(f.p99Ms),
    usd(f.cost),
    f.satisfaction === null ? '–' : `${f.satisfaction.toFixed(2)}/5 (${f.ratings})`,
  ];
}

export function registerObserve(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('logs')
      .description("A skill's execution logs: recent ones, or live as executions happen (--follow)")
      .argument('<skill>', 'domain/name')
      .option('-f, --follow', 'keep streaming new lines (Ctrl-C stops)', false)
      .option('--since <duration>', 'how far back to start', '15m')
      .addOption(
        new Option('--level <level>', 'lowest level shown')
          .choices(['debug', 'info', 'warn', 'error'])
          .default('debug'),
      ),
  ).action(async (skill: string, o: { follow: boolean; since: string; level: string }, cmd: Command) => {
    const ref = parseRef(skill);
    const { json } = ctx.globals(cmd);
    const api = ctx.client(cmd);
    const query = { since: o.since, level: o.level as LogLine['level'] };
    if (!o.follow) {
      const r = await api.logs({ params: ref, query });
      if (json) return printJson(r);
      for (const l of r.lines) printLine(l, false);
      if (!r.lines.length) process.stderr.write(dim(`no log lines in the last ${o.since}\n`));
      return;
    }
    if (!json) process.stderr.write(dim(`following ${ref.id} (Ctrl-C stops)\n`));
    for await (const l of api.followLogs({ params: ref, query })) printLine(l, json);
  });

  common(
    program
      .command('metrics')
      .description(
        'Executions, success and error rates, p50/p95/p99, cost and satisfaction of a skill, a domain or the platform',
      )
      .argument('[target]', 'domain/name, a domain, or nothing for the whole platform')
      .option('--last <window>', 'window, in whole hours (1h, 24h, 7d)', '24h'),
  ).action(async (target: string | undefined, o: { last: string }, cmd: Command) => {
    if (target && !target.includes('/') && !isSlug(target))
      throw new AsporaError('BAD_REQUEST', `"${target}" is not a skill or a domain`, {
        hint: 'fraud/block-transaction, fraud, or nothing for the platform',
      });
    const t = target?.includes('/') ? parseRef(target, { version: false }).id : target;
    const r = await ctx.client(cmd).metrics({ query: { last: o.last, ...(t ? { target: t } : {}) } });
    if (ctx.globals(cmd).json) return printJson(r);
    process.stdout.write(
      `${bold(r.name)} ${dim(`last ${r.window.last} (since ${r.window.from.slice(0, 16).replace('T', ' ')} UTC)`)}\n\n`,
    );
    const head = ['', 'executions', 'success', 'errors', 'p50', 'p95', 'p99', 'cost', 'satisfaction'];
    const rows = [
      head,
      figuresRow(r.scope === 'platform' ? 'platform' : r.name, r.figures),
      ...r.children.map((c) => figuresRow(`  ${c.name}`, c.figures)),
    ];
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
    if (!id)
      throw new AsporaError('BAD_REQUEST', 'which execution?', {
        hint: 'aspora feedback <execution-id> --rating 2 --correction "…", or aspora feedback list',
      });
    const f = await ctx.client(cmd).addFeedback({
      params: { id },
      body: {
        ...(o.rating !== undefined ? { rating: o.rating } : {}),
        ...(o.correction ? { correction: o.correction } : {}),
      },
    });
    if (ctx.globals(cmd).json) printJson(f);
    else
      process.stderr.write(
        `${green('✓')} feedback on ${f.ref} execution ${f.executionId}${f.rating ? ` rated ${f.rating}/5` : ''}${f.correction ? `: the correction is a regression case now (aspora feedback export ${f.ref})` : ''}\n`,
      );
  });
  common(
    feedback
      .command('list')
      .description('Feedback, newest first')
      .argument('[skill]', 'domain/name')
      .option('--corrections', 'only corrections', false)
      .option('--limit <n>', 'how many', '50'),
  ).action(async (skill: string | undefined, o: { corrections: boolean; limit: string }, cmd: Command) => {
    const r = await ctx.client(cmd).listFeedback({
      query: {
        limit: o.limit,
        ...(o.corrections ? { corrections: 'true' } : {}),
        ...(skill ? { skill: parseRef(skill, { version: false }).id } : {}),
      },
    });
    if (ctx.globals(cmd).json) return printJson(r);
    if (!r.feedback.length) return void process.stderr.write(dim('no feedback yet\n'));
    process.stdout.write(
      `${table([['when', 'skill', 'execution', 'rating', 'correction'], ...r.feedback.map((f) => [f.createdAt.slice(0, 16).replace('T', ' '), f.ref, f.executionId.slice(0, 8), f.rating ? `${f.rating}/5` : '–', (f.correction ?? '').slice(0, 60)])])}\n`,
    );
  });
  common(
    feedback
      .command('export')
      .description("A skill's corrections as a promptfoo test-case file")
      .argument('<skill>', 'domain/name')
      .option('-o, --output <file>', 'write to a file instead of stdout'),
  ).action(async (skill: string, o: { output?: string }, cmd: Command) => {
    const ref = parseRef(skill);
    const text = await ctx.client(cmd).exportFeedback({ params: ref });
    const cases = parseYaml(text) as unknown[] | null;
    const count = Array.isArray(cases) ? cases.length : 0;
    if (o.output) {
      writeFileSync(o.output, text);
      if (ctx.globals(cmd).json) printJson({ ref: ref.id, output: o.output, cases: count });
      else process.stderr.write(`${green('✓')} ${count} regression cases of ${ref.id} → ${o.output}\n`);
    } else if (ctx.globals(cmd).json) printJson({ ref: ref.id, format: 'promptfoo', tests: cases ?? [] });
    else process.stdout.write(text);
  });
}
