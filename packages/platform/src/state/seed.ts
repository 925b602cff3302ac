/**
 * Seed rows for teams' state tables from a folder, as `aspora up` loads the examples' ops sheet:
 * `<dir>/<team>/<table>.json` (a JSON array of rows) or `.jsonl` (one row a line). A table is
 * loaded only while it is empty, so a restart never duplicates rows nor undoes what skills wrote;
 * each file is loaded in one transaction (all of it or none). Links are not followed and files
 * are bounded, like any folder the platform reads.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseStateRows, TeamNameSchema } from '@aspora/api';
import { TABLE_RE } from './rules.ts';
import { ALL, type StateStore } from './store.ts';
import { checkRow, STATE_LIMITS } from './where.ts';

/** Largest seed file read: far above a spreadsheet's worth of rows. */
export const MAX_SEED_BYTES = 64 * 1024 * 1024;

export interface StateSeedResult {
  file: string;
  team: string;
  table: string;
  /** Rows loaded; 0 with `skipped` when the table already had rows. */
  inserted: number;
  skipped?: 'not empty';
  error?: string;
}

export async function seedStateTables(store: StateStore, dir: string, by: string): Promise<StateSeedResult[]> {
  const out: StateSeedResult[] = [];
  const teams = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const t of teams.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const team = t.name;
    if (!TeamNameSchema.safeParse(team).success) continue;
    const counts = new Map((await store.tables(team)).map((x) => [x.table, x.rows]));
    const files = (await readdir(join(dir, team), { withFileTypes: true }))
      .filter((e) => e.isFile() && /\.jsonl?$/.test(e.name))
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const f of files) {
      const path = join(dir, team, f.name);
      const shown = relative(process.cwd(), path) || path;
      const table = f.name.replace(/\.jsonl?$/, '');
      const result: StateSeedResult = { file: shown, team, table, inserted: 0 };
      out.push(result);
      try {
        if (!TABLE_RE.test(table))
          throw new Error('a seed file is named for its table: lowercase letters, digits and _ (assignments.json)');
        if ((counts.get(table) ?? 0) > 0) {
          result.skipped = 'not empty';
          continue;
        }
        const rows = parseStateRows(await readBounded(path), shown).map((r, i) => checkRow(r, `row ${i + 1}`));
        if (rows.length > STATE_LIMITS.tableRows)
          throw new Error(`a state table holds at most ${STATE_LIMITS.tableRows} rows; the file has ${rows.length}`);
        const scope = { team, table, read: ALL, write: ALL, own: ALL };
        result.inserted = (await store.load(scope, rows, false, by)).inserted;
      } catch (e) {
        result.error = (e as Error).message;
      }
    }
  }
  return out;
}

/** The file's text: a regular file (a link is refused, not followed) of at most MAX_SEED_BYTES. */
/** A seed file as text: never through a link, a regular file, at most MAX_SEED_BYTES. */
export async function readBounded(path: string): Promise<string> {
  if ((await lstat(path)).isSymbolicLink()) throw new Error('a seed file may not be a link');
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_SEED_BYTES) throw new Error(`larger than ${MAX_SEED_BYTES} bytes`);
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}
