/**
 * `aspora up`'s example people: added once with their team and role, never overwritten, a missing
 * file is nothing, a bad file names the entry, a link is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { migrate } from '../db/migrate.ts';
import { openDb } from '../db/index.ts';
import type { Db } from '../db/types.ts';
import { Directory } from './directory.ts';
import { seedPeople } from './seed-people.ts';

let db: Db;
let dir: Directory;
const folder = mkdtempSync(join(tmpdir(), 'aspora-people-'));
before(async () => {
  db = await openDb();
  await migrate(db);
  dir = new Directory(db);
});
after(() => db.close());

test('people are added once, with their team and role; a role changed since is kept', async () => {
  const file = join(folder, 'people.json');
  writeFileSync(
    file,
    JSON.stringify([
      { email: 'sarah@aspora.com', name: 'Sarah Khan', team: 'ecm-ops', role: 'field' },
      { email: 'nadia@aspora.com', team: 'ecm-ops', role: 'manager' },
    ]),
  );
  const first = await seedPeople(dir, file);
  assert.deepEqual(first, { added: ['sarah@aspora.com', 'nadia@aspora.com'], kept: 0 });
  assert.ok(await dir.teamExists('ecm-ops'), 'the team is created');
  const sarah = await dir.userByEmail('sarah@aspora.com');
  assert.equal(sarah?.name, 'Sarah Khan');
  assert.deepEqual(
    sarah?.teams.map((t) => [t.team, t.role]),
    [['ecm-ops', 'field']],
  );
  await dir.setMembership('ecm-ops', 'sarah@aspora.com', 'manager');
  assert.deepEqual(await seedPeople(dir, file), { added: [], kept: 2 });
  assert.equal((await dir.userByEmail('sarah@aspora.com'))?.teams[0]?.role, 'manager', "an operator's change stays");
});

test('no file is nothing; a bad entry is named; a link is refused', async () => {
  assert.deepEqual(await seedPeople(dir, join(folder, 'absent.json')), { added: [], kept: 0 });
  const bad = join(folder, 'bad.json');
  writeFileSync(bad, JSON.stringify([{ email: 'not-an-email', team: 'ecm-ops', role: 'field' }]));
  await assert.rejects(seedPeople(dir, bad), /bad\.json: 0\.email/);
  const link = join(folder, 'link.json');
  symlinkSync(join(folder, 'people.json'), link);
  await assert.rejects(seedPeople(dir, link), /link/);
});
