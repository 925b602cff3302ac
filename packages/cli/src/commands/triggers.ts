import { Option, type Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import { parseSkillRef as parseRef, type TriggerStatus } from '@aspora/api';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, red, table, yellow } from '../output.ts';

function lastOf(t: TriggerStatus): string {
  const l = t.lastResult;
  if (!l) return t.type === 'cron' ? dim('never fired') : '';
  const s =
    l.status === 'done'
      ? green('done')
      : l.status === 'error' || l.status === 'dead'
        ? red(l.status)
        : yellow(l.status);
  return `${s} ${dim(l.at)} ${dim(l.executionId)}`;
}

function print(rows: TriggerStatus[]): void {
  if (!rows.length) {
    process.stderr.write(dim('no triggers on deployed skills\n'));
    return;
  }
  process.stdout.write(
    table([
      ['SKILL', 'ENV', 'TYPE', 'WHEN / PATTERNS', 'NEXT FIRE', 'LAST RESULT'].map((h) => bold(h)),
      ...rows.map((t) => [
        `${t.ref}@${t.version}`,
        t.environment,
        t.type,
        t.type === 'cron'
          ? `${t.schedule} ${t.timezone}${t.enabled ? '' : dim(' (disabled)')}${t.missed === 'run_once' ? dim(' missed: run once') : ''}`
          : `${t.patterns.slice(0, 3).join(', ')}${t.patterns.length > 3 ? dim(' …') : ''}${t.channels?.length ? dim(` (${t.channels.join(', ')})`) : ''}`,
        t.nextFire ?? '',
        lastOf(t),
      ]),
    ]),
  );
}

export function registerTriggers(program: Command, ctx: CommandContext): void {
  const triggers = program
    .command('triggers')
    .description(
      "The deployed skills' triggers: cron schedules with their next fire and last result, message and command patterns with their channels",
    );
  common(
    triggers
      .command('list')
      .description('Every trigger of the deployed versions (each environment), with next fire and last result')
      .option('--domain <domain>', 'only this domain'),
  ).action(async (o: { domain?: string }, cmd: Command) => {
    const r = await ctx.client(cmd).listTriggers({ query: o.domain ? { domain: o.domain } : {} });
    if (ctx.globals(cmd).json) printJson(r);
    else print(r.triggers);
  });

  const trigger = program.command('trigger').description('Act on one trigger');
  common(
    trigger
      .command('fire')
      .description("Fire a skill's trigger now, as its schedule would (for testing); prints the queued execution")
      .argument('<skill>', 'domain/name')
      .addOption(new Option('--type <type>', 'which trigger').choices(['cron']).makeOptionMandatory())
      .addOption(
        new Option('--env <environment>', 'whose deployed version')
          .choices(['staging', 'production'])
          .default('production'),
      )
      .addHelpText(
        'after',
        '\nExample:\n  aspora trigger fire ecm/triage-and-assign --type cron\n  aspora execution <id>   # follow it',
      ),
  ).action(async (skill: string, o: { type: 'cron'; env: 'staging' | 'production' }, cmd: Command) => {
    const ref = parseRef(skill);
    if (ref.version)
      throw new AsporaError('BAD_REQUEST', 'a trigger fires the deployed version: drop the @version', {
        hint: `--env staging`,
      });
    const r = await ctx.client(cmd).fireTrigger({ params: ref, body: { type: o.type, environment: o.env } });
    if (ctx.globals(cmd).json) printJson(r);
    else process.stdout.write(`${green('✓')} queued ${r.id}\n${dim(`follow it: aspora execution ${r.id}`)}\n`);
  });
}
