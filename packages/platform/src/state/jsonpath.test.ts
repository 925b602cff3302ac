/**
 * The database's predicate and the host's evaluator are one semantics: every rule × row below is
 * decided by rowMatches in JavaScript and by `data @? path` in PostgreSQL (PGlite), and they agree.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseRowRule, resolveRowRule, rowMatches } from '@aspora/sdk';
import { openDb } from '../db/index.ts';
import type { Db } from '../db/types.ts';
import { toJsonPath } from './jsonpath.ts';

let db: Db;
before(async () => {
  db = await openDb();
});
after(() => db.close());

const user = { email: 'sarah@example.com', id: 'u"1\\', name: 'Sarah "S" O\'Neil', team: 'ecm-ops', role: 'field' };
const RULES = [
  'all',
  'none',
  'Assigned Agent = {user.email}',
  "Assigned Agent = {user.email} AND Status IN ('IN_PROGRESS', 'RESOLVED')",
  "Status NOT IN ('CLOSED') OR Priority = 1",
  'Priority != 3',
  'Open = true',
  "Score = 2.5 AND Note = 'it''s \"quoted\" \\\\ and ünïcode'",
  'Owner = {user.id} OR Name = {user.name}',
  "`weird $.col` = 'x'",
];
const ROWS: Array<Record<string, unknown>> = [
  {},
  { 'Assigned Agent': 'sarah@example.com', Status: 'IN_PROGRESS', Priority: 1 },
  { 'Assigned Agent': 'sarah@example.com', Status: 'CLOSED', Priority: 3 },
  { 'Assigned Agent': 'dinesh@example.com', Status: 'RESOLVED', Priority: '1' },
  { Status: null, Priority: null, Open: true },
  { Open: 'true', Score: 2.5, Note: 'it\'s "quoted" \\ and ünïcode' },
  { Open: false, Score: '2.5', Note: 'x' },
  { Owner: 'u"1\\', Name: 'nobody' },
  { Owner: 'u2', Name: 'Sarah "S" O\'Neil' },
  { 'weird $.col': 'x', 'Assigned Agent': ['sarah@example.com'] },
];

test('rowMatches and the SQL/JSON path agree on every rule × row', async () => {
  let checked = 0;
  for (const text of RULES) {
    const resolved = resolveRowRule(parseRowRule(text), user);
    assert.ok(Array.isArray(resolved), text);
    if (!Array.isArray(resolved)) continue;
    const path = toJsonPath(resolved);
    for (const row of ROWS) {
      const [r] = await db.query<{ ok: boolean }>('SELECT $1::jsonb @? $2::jsonpath AS ok', [
        JSON.stringify(row),
        path,
      ]);
      assert.equal(r?.ok, rowMatches(resolved, row), `${text} on ${JSON.stringify(row)} (path ${path})`);
      checked++;
    }
  }
  assert.equal(checked, RULES.length * ROWS.length);
});
