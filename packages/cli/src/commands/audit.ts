import { type Command, Option } from 'commander';
import { AUDIT_OUTCOMES, type AuditEntry } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, red, table, yellow } from '../output.ts';

const OUTCOME = { ok: green, denied: yellow, failed: red } as const;

/** The readable table: time, actor, action, target, outcome. */
export function auditTable(entries: AuditEntry[]): string {
  return table([
    ['time', 'actor', 'action', 'target', 'outcome'],
    ...entries.map((e) => [
      e.at.slice(0, 19).replace('T', ' '),
      e.actor,
      e.action,
      e.target ?? '–',
      OUTCOME[e.outcome](e.outcome),
    ]),
  ]);
}

function limitOf(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new AsporaError('BAD_REQUEST', `--limit ${v} is not a number from 1 to 1000`, { hint: '--limit 200' });
  return n;
}

export function registerAudit(program: Command, ctx: CommandContext): void {
  const audit = common(
    program
      .command('audit')
      .description(
        'Who deployed, rolled back, changed a token, team, secret or budget, or was denied: the audit log, newest first (admins)',
      )
      .option('--since <when>', 'a duration back (90m, 24h, 7d) or an ISO time')
      .option('--actor <who>', "a user's email, or service:<team>/<token name>")
      .option('--action <action>', 'e.g. skill.deploy, or a prefix: token.*')
      .addOption(new Option('--outcome <outcome>', 'only these').choices(AUDIT_OUTCOMES))
      .option('--limit <n>', 'how many, up to 1000', '100'),
  ).action(
    async (
      o: { since?: string; actor?: string; action?: string; outcome?: AuditEntry['outcome']; limit: string },
      cmd: Command,
    ) => {
      const r = await ctx.client(cmd).audit({
        query: {
          limit: limitOf(o.limit),
          ...(o.since ? { since: o.since } : {}),
          ...(o.actor ? { actor: o.actor } : {}),
          ...(o.action ? { action: o.action } : {}),
          ...(o.outcome ? { outcome: o.outcome } : {}),
        },
      });
      if (ctx.globals(cmd).json) return printJson(r);
      if (!r.entries.length) return void process.stderr.write(dim('no audit entries match\n'));
      process.stdout.write(`${auditTable(r.entries)}\n`);
    },
  );

  common(
    audit
      .command('verify')
      .description(
        "Check the audit log's hash chain (exit code 1 when it does not hold) and print its head: keep the head elsewhere, as entries cut from the end cannot be seen otherwise",
      ),
  ).action(async (_o: unknown, cmd: Command) => {
    const v = await ctx.client(cmd).verifyAudit();
    if (!v.ok) process.exitCode = 1;
    if (ctx.globals(cmd).json) return printJson(v);
    if (v.broken) {
      process.stderr.write(
        `${red('✗')} the audit log does not hold at entry ${bold(String(v.broken.seq))}: ${v.broken.reason}\n`,
      );
      process.stderr.write(
        dim(
          v.head
            ? `${v.entries} entries before it hold; the last is ${v.head.seq} (${v.head.hash})\n`
            : 'no entry before it holds\n',
        ),
      );
      return;
    }
    process.stderr.write(`${green('✓')} the audit log holds: ${v.entries} entries, each linked to the one before\n`);
    if (v.head) {
      process.stdout.write(`head ${v.head.seq} ${v.head.hash}\n`);
      process.stderr.write(
        dim(
          'keep this head elsewhere: entries cut from the end, or a chain rewritten with new hashes, show only against it\n',
        ),
      );
    }
  });
}
