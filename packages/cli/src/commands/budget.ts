import type { Command } from 'commander';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, red, yellow } from '../output.ts';
import { parseSkillRef as parseRef, type Budget as BudgetStatus } from '@aspora/api';
import { pct, usd } from './observe.ts';

function print(b: BudgetStatus): void {
  const mode = b.mode === 'paused' ? red('paused') : b.mode === 'throttled' ? yellow('throttled') : green('ok');
  const limit =
    b.limit === null
      ? 'no monthly limit'
      : `${usd(b.spent)} of $${b.limit.toFixed(2)} (${b.limit > 0 ? pct(b.spent / b.limit) : '–'})`;
  process.stdout.write(
    `${bold(b.ref)} ${b.period}: ${limit} · ${mode}${b.lifted ? dim(' (lifted by an admin this month)') : ''}${b.reserved ? dim(` · $${b.reserved.toFixed(4)} reserved by calls in flight`) : ''}\n`,
  );
}

export function registerBudget(program: Command, ctx: CommandContext): void {
  const budget = program
    .command('budget')
    .description("A skill's monthly model budget: notify at 80 %, throttle at 95 %, pause at 100 %");
  common(
    budget.command('show').description('Spent, limit and mode of this month').argument('<skill>', 'domain/name'),
  ).action(async (skill: string, _o: unknown, cmd: Command) => {
    const ref = parseRef(skill);
    const b = await ctx.client(cmd).getBudget({ params: ref });
    if (ctx.globals(cmd).json) printJson(b);
    else print(b);
  });
  common(
    budget
      .command('lift')
      .description('Let a paused (or throttled) skill go on for the rest of this month')
      .argument('<skill>', 'domain/name')
      .option('--reason <text>', 'why, for the record'),
  ).action(async (skill: string, o: { reason?: string }, cmd: Command) => {
    const ref = parseRef(skill);
    const b = await ctx.client(cmd).liftBudget({ params: ref, body: o.reason ? { reason: o.reason } : {} });
    if (ctx.globals(cmd).json) printJson(b);
    else {
      process.stderr.write(`${green('✓')} ${b.ref}: budget lifted for ${b.period}\n`);
      print(b);
    }
  });
}
