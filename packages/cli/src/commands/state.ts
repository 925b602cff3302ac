/**
 * `aspora state`: a team's state tables (what its skills reach through context.state.table), for
 * the team's operators: list them, read their rows, load rows from a file (an export of the ops
 * sheet, seed data). Skills' row rules bind skills, not operators, who see and load every row of
 * their own team's tables (members with the deploy scope, and admins).
 */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseStateRows, STATE_IMPORT_CHUNK, type StateRowInput } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, table } from '../output.ts';

/** Largest rows file read (a state table holds at most 100,000 rows of at most 64 KiB). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;
/** Widest cell `state rows` prints in its table (--json gives every cell whole). */
const CELL_CHARS = 32;

export function registerState(program: Command, ctx: CommandContext): void {
  const state = program
    .command('state')
    .description("A team's state tables, what its skills reach through context.state.table: list, read, load rows");

  common(
    state
      .command('tables')
      .description("A team's state tables and how many rows each holds")
      .argument('<team>', 'the team, e.g. ecm-ops'),
  ).action(async (team: string, _o: unknown, cmd: Command) => {
    const r = await ctx.client(cmd).listStateTables({ params: { team } });
    if (ctx.globals(cmd).json) return printJson(r);
    if (!r.tables.length)
      return void process.stderr.write(
        `team ${team} has no state tables yet ${dim(`(a skill's first insert creates one; or aspora state import ${team} <table> --file rows.json)`)}\n`,
      );
    process.stdout.write(
      `${table([[bold('TABLE'), bold('ROWS')], ...r.tables.map((t) => [t.table, String(t.rows)])])}\n`,
    );
  });

  common(
    state
      .command('rows')
      .description("Rows of a team's state table, oldest first: every row, whatever the skills' row rules")
      .argument('<team>', 'the team')
      .argument('<table>', 'the table, e.g. assignments (a sheets_access key without its _tab)')
      .option('--limit <n>', 'at most this many rows, 1 to 10000', '100'),
  ).action(async (team: string, tableName: string, o: { limit: string }, cmd: Command) => {
    const limit = Number(o.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new AsporaError('BAD_REQUEST', `--limit ${o.limit} is not a whole number from 1 to 10000`, {
        hint: '--limit 500',
      });
    const r = await ctx.client(cmd).listStateRows({ params: { team, table: tableName }, query: { limit } });
    if (ctx.globals(cmd).json) return printJson(r);
    if (!r.rows.length) return void process.stderr.write(`${team}/${tableName} has no rows\n`);
    const columns = [...new Set(r.rows.flatMap((row) => Object.keys(row).filter((c) => c !== '_id')))];
    process.stdout.write(
      `${table([
        [bold('_id'), ...columns.map((c) => bold(c))],
        ...r.rows.map((row) => [String(row._id), ...columns.map((c) => cellText(row[c]))]),
      ])}\n`,
    );
    if (r.rows.length === limit)
      process.stderr.write(dim(`(the first ${limit} rows: --limit for more, --json for every cell whole)\n`));
  });

  common(
    state
      .command('import')
      .description(
        `Load rows from a file into a team's state table: a JSON array of objects or JSON Lines, sent ${STATE_IMPORT_CHUNK} rows a request`,
      )
      .argument('<team>', 'the team')
      .argument('<table>', 'the table, e.g. assignments')
      .requiredOption('--file <path>', 'the rows: a .json array of objects, or .jsonl with one object a line')
      .option(
        '--replace',
        "remove the table's rows first (in the same transaction as the first chunk); without it rows are added",
        false,
      ),
  ).action(async (team: string, tableName: string, o: { file: string; replace: boolean }, cmd: Command) => {
    const json = ctx.globals(cmd).json;
    const rows = parseStateRows(await readRowsFile(o.file), o.file);
    const client = ctx.client(cmd);
    const chunks = Math.ceil(rows.length / STATE_IMPORT_CHUNK);
    let inserted = 0;
    let removed = 0;
    for (let i = 0; i < chunks; i++) {
      const chunk: StateRowInput[] = rows.slice(i * STATE_IMPORT_CHUNK, (i + 1) * STATE_IMPORT_CHUNK);
      try {
        const r = await client.importStateRows({
          params: { team, table: tableName },
          body: { rows: chunk, replace: o.replace && i === 0 },
        });
        inserted += r.inserted;
        removed += r.removed;
      } catch (e) {
        if (!(e instanceof Error) || i === 0) throw e;
        // Earlier chunks are in: say how far the load got, so it can be finished or redone.
        const from = i * STATE_IMPORT_CHUNK + 1;
        throw new AsporaError(
          (e as AsporaError).code ?? 'INTERNAL',
          `rows ${from}–${from + chunk.length - 1} of ${o.file}: ${e.message} (${inserted} rows before them were loaded)`,
          { hint: `fix the file and load it again with --replace, or load the rest from row ${from}` },
        );
      }
      if (!json && chunks > 1) process.stderr.write(`${dim('…')} ${inserted}/${rows.length} rows\n`);
    }
    if (json) return printJson({ team, table: tableName, inserted, removed, requests: chunks });
    process.stderr.write(
      `${green('✓')} ${inserted} rows loaded into ${team}/${tableName}${o.replace ? ` (${removed} removed first)` : ''}\n`,
    );
  });
}

function cellText(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  const one = s.replace(/\s+/g, ' ');
  return one.length > CELL_CHARS ? `${one.slice(0, CELL_CHARS - 1)}…` : one;
}

/** The file's text, `-` for stdin; bounded, with a clear error for a missing or oversized file. */
async function readRowsFile(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of process.stdin as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_FILE_BYTES) throw tooLarge('stdin');
      chunks.push(c);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile())
    throw new AsporaError('NOT_FOUND', `no file ${path}`, { hint: '--file names a .json or .jsonl file of rows' });
  if (st.size > MAX_FILE_BYTES) throw tooLarge(path);
  return readFile(path, 'utf8');
}

const tooLarge = (what: string) =>
  new AsporaError('PAYLOAD_TOO_LARGE', `${what} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`, {
    hint: 'split it, and load the parts one after another (the first with --replace, if you replace)',
  });
