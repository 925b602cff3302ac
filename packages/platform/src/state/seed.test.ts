/**
 * Seed files for state tables (what `aspora up` loads from examples/state): each table is loaded
 * while it is empty, once; a bad file is named and loads nothing; links are not followed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../db/index.ts';
import { dbBackends, type OpenedBackend } from '../../test/db-backends.ts';
import { tableRulesOf } from './rules.ts';
import { seedStateTables } from './seed.ts';
import { ALL, StateStore } from './store.ts';
import { stateTables } from './tables.ts';

const examplesState = fileURLToPath(new URL('../../../../examples/state', import.meta.url));

for (const backend of dbBackends) {
  describe(`state seed files on ${backend.name}`, { skip: backend.skip }, () => {
    let opened: OpenedBackend;
    let store: StateStore;
    let dir: string;
    before(async () => {
      opened = await backend.open();
      await migrate(opened.db);
      store = new StateStore(opened.db);
      dir = mkdtempSync(join(tmpdir(), 'aspora-seed-'));
    });
    after(async () => {
      rmSync(dir, { recursive: true, force: true });
      await opened.db.close();
      await opened.drop();
    });

    test('the examples’ ECM tabs load once, and a field agent then sees their own tickets', async () => {
      const first = await seedStateTables(store, examplesState, 'aspora-up');
      assert.deepEqual(
        first.map((r) => [r.team, r.table, r.inserted, r.error]),
        [
          ['ecm-ops', 'agents', 8, undefined],
          ['ecm-ops', 'assignments', 11, undefined],
          ['ecm-ops', 'resolutions', 18, undefined],
        ],
      );
      const again = await seedStateTables(store, examplesState, 'aspora-up');
      assert.deepEqual(
        again.map((r) => [r.inserted, r.skipped]),
        [
          [0, 'not empty'],
          [0, 'not empty'],
          [0, 'not empty'],
        ],
      );
      assert.deepEqual(await store.tables('ecm-ops'), [
        { table: 'agents', rows: 8 },
        { table: 'assignments', rows: 11 },
        { table: 'resolutions', rows: 18 },
      ]);
      const sarah = { email: 'sarah@aspora.com', id: 'sarah@aspora.com', name: null, team: 'ecm-ops', role: 'field' };
      const rules = tableRulesOf({ assignments_tab: { read: 'Assigned Agent = {user.email}', write: 'none' } });
      const mine = await stateTables({
        store,
        skill: 'ecm/my-tickets',
        role: 'field',
        team: 'ecm-ops',
        rules,
        user: sarah,
        executionId: 'e1',
      }).select({ table: 'assignments' });
      assert.ok(mine.length > 0);
      assert.ok(mine.every((r) => r['Assigned Agent'] === sarah.email));
    });

    test('JSON Lines load; a bad row, a bad name or a link is named and loads nothing', async () => {
      mkdirSync(join(dir, 'ops'));
      writeFileSync(join(dir, 'ops', 'notes.jsonl'), '{"a":1}\n\n{"a":"two","b":null}\n');
      writeFileSync(join(dir, 'ops', 'bad.json'), '[{"a":1},{"a":{"nested":true}}]');
      writeFileSync(join(dir, 'ops', 'Bad-Name.json'), '[{"a":1}]');
      writeFileSync(join(dir, 'elsewhere.json'), '[{"secret":"x"}]');
      symlinkSync(join(dir, 'elsewhere.json'), join(dir, 'ops', 'linked.json'));
      const r = await seedStateTables(store, dir, 'test');
      const by = Object.fromEntries(r.map((x) => [x.table, x]));
      assert.equal(by.notes?.inserted, 2);
      assert.match(String(by.bad?.error), /row 2/);
      assert.match(String(by['Bad-Name']?.error), /named for its table/);
      assert.equal(by.linked, undefined, 'a link is not a seed file');
      const scope = (table: string) => ({ team: 'ops', table, read: ALL, write: ALL, own: ALL });
      assert.equal((await store.select(scope('bad'), {})).length, 0);
      assert.equal((await store.select(scope('linked'), {})).length, 0);
      assert.deepEqual(
        (await store.select(scope('notes'), {})).map((x) => x.a),
        [1, 'two'],
      );
    });
  });
}
