import type { Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import { isSlug, type TimelineExecution } from '@aspora/api';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, red, yellow } from '../output.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const secs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
const mark = (s: string) => (s === 'error' ? red('✗') : s === 'ok' ? green('✓') : dim('·'));

function printExecution(e: TimelineExecution, indent: string): void {
  const out = process.stdout;
  out.write(
    `${indent}${dim(e.startedAt.slice(11, 23))}  ${mark(e.status)} ${bold(e.skill)}${e.version ? dim(`@${e.version}`) : ''}  ${secs(e.durationMs)}${e.cost ? dim(`  $${e.cost.toFixed(4)}`) : ''}  ${dim(e.executionId.slice(0, 8))}${e.error ? `  ${red(e.error)}` : ''}\n`,
  );
  const events = [
    ...e.calls.map((c) => ({ at: c.offsetMs, c })),
    ...e.children.map((child) => ({ at: Date.parse(child.startedAt) - Date.parse(e.startedAt), child })),
  ].sort((a, b) => a.at - b.at);
  for (const ev of events) {
    if ('child' in ev && ev.child) {
      printExecution(ev.child, `${indent}    `);
      continue;
    }
    const c = (ev as { c: TimelineExecution['calls'][number] }).c;
    const a = c.attributes;
    const detail =
      c.kind === 'model'
        ? `${typeof a['gen_ai.provider.name'] === 'string' ? `${a['gen_ai.provider.name']} ` : ''}${a['gen_ai.usage.input_tokens'] ?? '?'}→${a['gen_ai.usage.output_tokens'] ?? '?'} tokens${typeof a['aspora.cost_usd'] === 'number' ? ` $${(a['aspora.cost_usd'] as number).toFixed(4)}` : ''}${a['aspora.cached'] ? ' cached' : ''}${a['aspora.fallback'] ? yellow(' fallback') : ''}`
        : '';
    out.write(
      `${indent}    ${dim(`+${secs(c.offsetMs).padStart(8)}`)}  ${mark(c.status)} ${c.name}  ${dim(secs(c.durationMs))}${detail ? `  ${dim(detail)}` : ''}${c.error ? `  ${red(c.error)}` : ''}\n`,
    );
  }
}

/** today and yesterday (UTC) as the API's YYYY-MM-DD; anything else as given, for the API to check. */
export function dayOf(date: string, now = new Date()): string {
  const d = date.trim().toLowerCase();
  if (d !== 'today' && d !== 'yesterday') return date;
  return new Date(now.getTime() - (d === 'yesterday' ? 86_400_000 : 0)).toISOString().slice(0, 10);
}

export function registerTrace(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('trace')
      .description(
        "A domain's day as a timeline — workflow → executions → model and tool calls — or one execution's trace",
      )
      .argument('<domain|execution-id>', 'a domain (ecm), or an execution id')
      .option('--date <YYYY-MM-DD>', 'the day (UTC), for a domain: YYYY-MM-DD, today or yesterday', 'today')
      .addHelpText(
        'after',
        '\nExamples:\n  aspora trace fraud --date today\n  aspora trace ecm --date 2026-02-16\n  aspora trace 3f0c8f8e-5d3a-4c1e-9d59-2f8a4a0f1c2b\n\nSpans are also exported over OTLP to any collector (Langfuse, Opik, Jaeger …) when OTEL_EXPORTER_OTLP_ENDPOINT is set on the platform.',
      ),
  ).action(async (target: string, o: { date: string }, cmd: Command) => {
    const api = ctx.client(cmd);
    const { json } = ctx.globals(cmd);
    if (UUID.test(target)) {
      const e = await api.executionTrace({ params: { id: target } });
      return json ? printJson(e) : printExecution(e, '');
    }
    if (!isSlug(target))
      throw new AsporaError('BAD_REQUEST', `"${target}" is neither a domain nor an execution id`, {
        hint: 'aspora trace ecm --date 2026-02-16',
      });
    const t = await api.traces({ query: { domain: target, date: dayOf(o.date) } });
    if (json) return printJson(t);
    process.stdout.write(
      `${bold(t.domain)} · ${t.date} (UTC) · ${plural(t.workflows.filter((w) => w.workflowId).length, 'workflow')}, ${plural(t.executions, 'execution')}\n`,
    );
    for (const w of t.workflows) {
      process.stdout.write(
        `\n${w.workflowId ? `workflow ${bold(w.workflowId)}` : dim('not in a workflow')}  ${dim(`${w.startedAt.slice(11, 19)} → ${w.endedAt.slice(11, 19)} (${secs(Date.parse(w.endedAt) - Date.parse(w.startedAt))})`)}\n`,
      );
      for (const e of w.executions) printExecution(e, '  ');
    }
    if (!t.workflows.length) process.stderr.write(dim(`no executions of ${t.domain} on ${t.date}\n`));
  });
}
