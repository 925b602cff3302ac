import type { Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import type { QueuedExecution } from '@aspora/api';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, printJson, red, table, yellow } from '../output.ts';

function print(rows: QueuedExecution[], status: 'queued' | 'dead'): void {
  if (!rows.length) {
    process.stderr.write(dim(status === 'dead' ? 'no dead executions\n' : 'nothing queued\n'));
    return;
  }
  process.stdout.write(
    table([
      ['ID', 'SKILL', 'STATE', 'TRIGGER', 'ATTEMPTS', 'QUEUED', 'LAST ERROR'].map((h) => bold(h)),
      ...rows.map((r) => [
        r.id,
        r.ref,
        r.status === 'dead' ? red('dead') : r.status === 'queued' ? yellow('queued') : r.status,
        r.trigger ?? '',
        `${r.attempts}/${r.maxAttempts ?? '?'}`,
        r.queuedAt,
        r.error ? `${r.error.code}: ${r.error.message.slice(0, 80)}` : '',
      ]),
    ]),
  );
}

export function registerRuns(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('runs')
      .description('Queued executions (waiting for a worker or a retry) or dead ones (every attempt failed)')
      .option('--queued', 'what waits (the default)')
      .option('--dead', 'what failed for good, with its attempts and last error')
      .option('--limit <n>', 'at most this many, newest first', '50')
      .addHelpText(
        'after',
        '\nAn execution is queued by POST …/executions with "async": true, or by a trigger (cron).\nFollow one with `aspora execution <id>`.',
      ),
  ).action(async (o: { queued?: boolean; dead?: boolean; limit: string }, cmd: Command) => {
    if (o.queued && o.dead)
      throw new AsporaError('BAD_REQUEST', 'choose one of --queued and --dead', { hint: 'aspora runs --dead' });
    const limit = Number(o.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new AsporaError('BAD_REQUEST', `--limit must be a whole number from 1 to 500, not ${o.limit}`, {
        hint: 'aspora runs --dead --limit 20',
      });
    const status = o.dead ? 'dead' : 'queued';
    const r = await ctx.client(cmd).listQueue({ query: { status, limit } });
    if (ctx.globals(cmd).json) printJson(r);
    else print(r.executions, status);
  });
}
