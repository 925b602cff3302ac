/**
 * State tables under row rules, on PGlite and PostgreSQL alike: what a skill reads and writes is
 * what its sheets_access allows its user, a probe outside the rule is denied with the rule's name,
 * and PostgreSQL's row-level security holds the line where the query layer's checks are skipped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AsporaError } from '@aspora/sdk';
import { migrate } from '../db/index.ts';
import type { Db } from '../db/types.ts';
import { dbBackends, type OpenedBackend } from '../../test/db-backends.ts';
import { tableRulesOf } from './rules.ts';
import { ALL, StateStore } from './store.ts';
import { stateTables } from './tables.ts';

// Seed 003's field skill (my-tickets) and a manager skill.
const FIELD = tableRulesOf({
  assignments_tab: {
    read: 'Assigned Agent = {user.email}',
    write: "Assigned Agent = {user.email} AND Status IN ('IN_PROGRESS', 'RESOLVED', 'ESCALATED')",
  },
  resolutions_tab: { read: 'all', write: 'Agent = {user.email}' },
  agents_tab: { read: 'all', write: 'none' },
});
const MANAGER = tableRulesOf({
  assignments_tab: { read: 'all', write: 'all' },
  agents_tab: { read: 'all', write: 'all' },
});

const sarah = { email: 'sarah@example.com', id: 'u-s', name: null, team: 'ecm-ops', role: 'field' };
const dinesh = { email: 'dinesh@example.com', id: 'u-d', name: null, team: 'ecm-ops', role: 'field' };

const denied = (re: RegExp) => (e: unknown) =>
  e instanceof AsporaError && e.code === 'PERMISSION_DENIED' && re.test(e.message);

for (const backend of dbBackends) {
  describe(`state tables on ${backend.name}`, { skip: backend.skip }, () => {
    let opened: OpenedBackend;
    let db: Db;
    let store: StateStore;
    const as = (
      user: typeof sarah | null,
      rules = FIELD,
      team: string | null = 'ecm-ops',
      skill = 'ecm/field/my-tickets',
    ) => stateTables({ store, skill, role: 'field', team, rules, user, executionId: 'exec-1' });

    before(async () => {
      opened = await backend.open();
      db = opened.db;
      await migrate(db);
      store = new StateStore(db);
      const manager = as(null, MANAGER, 'ecm-ops', 'ecm/manager/triage-and-assign');
      await manager.insert({
        table: 'assignments',
        rows: [
          { 'Order ID': 'A1', 'Assigned Agent': sarah.email, Status: 'NEW', Priority: 3 },
          { 'Order ID': 'A2', 'Assigned Agent': sarah.email, Status: 'IN_PROGRESS', Priority: 1 },
          { 'Order ID': 'B1', 'Assigned Agent': dinesh.email, Status: 'NEW', Priority: 2 },
          { 'Order ID': 'B2', 'Assigned Agent': dinesh.email, Status: 'IN_PROGRESS', Priority: 5 },
        ],
      });
      await manager.insert({ table: 'agents_tab', rows: [{ Agent: sarah.email }, { Agent: dinesh.email }] });
      // Another team's table of the same name.
      await as(null, MANAGER, 'other-team', 'other/x').insert({
        table: 'assignments',
        rows: [{ 'Order ID': 'Z9', 'Assigned Agent': sarah.email, Status: 'NEW' }],
      });
    });
    after(async () => {
      await db.close();
      await opened.drop();
    });

    test('a field skill reads only its user’s rows; a manager reads all of its team’s', async () => {
      const mine = await as(sarah).select({ table: 'assignments' });
      assert.deepEqual(
        mine.map((r) => r['Order ID']),
        ['A1', 'A2'],
      );
      const his = await as(dinesh).select({ table: 'assignments_tab', orderBy: 'Priority', desc: true });
      assert.deepEqual(
        his.map((r) => r['Order ID']),
        ['B2', 'B1'],
      );
      const all = await as(null, MANAGER, 'ecm-ops', 'ecm/manager/x').select({ table: 'assignments' });
      assert.deepEqual(
        all.map((r) => r['Order ID']),
        ['A1', 'A2', 'B1', 'B2'],
        'not the other team’s Z9',
      );
      assert.ok(all.every((r) => Number.isInteger(r._id)));
    });

    test('filters narrow within the rule: equality, IN lists, numbers, _id, limit', async () => {
      const t = as(sarah);
      assert.deepEqual(
        (await t.select({ table: 'assignments', where: { Status: ['NEW', 'ESCALATED'] } })).map((r) => r['Order ID']),
        ['A1'],
      );
      assert.deepEqual(
        (await t.select({ table: 'assignments', where: { Priority: 1 } })).map((r) => r['Order ID']),
        ['A2'],
      );
      // NEW rows exist for dinesh too: the rule keeps them out, no denial (the filter does not pin the agent).
      const news = await t.select({ table: 'assignments', where: { Status: 'NEW' } });
      assert.deepEqual(
        news.map((r) => r['Order ID']),
        ['A1'],
      );
      const [a1] = news;
      assert.deepEqual((await t.select({ table: 'assignments', where: { _id: a1!._id } })).length, 1);
      assert.equal((await t.select({ table: 'assignments', limit: 1 })).length, 1);
    });

    test("probe: sarah asking for dinesh's rows is denied, naming the rule", async () => {
      await assert.rejects(
        as(sarah).select({ table: 'assignments', where: { 'Assigned Agent': dinesh.email } }),
        denied(
          /ecm\/field\/my-tickets \(role field\) may not read rows matching Assigned Agent = "dinesh@example.com" in state table assignments: permissions\.sheets_access\.assignments_tab\.read \(Assigned Agent = \{user\.email\}\)/,
        ),
      );
      // An IN list that smuggles her own address beside his still reads only hers.
      const mixed = await as(sarah).select({
        table: 'assignments',
        where: { 'Assigned Agent': [dinesh.email, sarah.email] },
      });
      assert.deepEqual(
        mixed.map((r) => r['Order ID']),
        ['A1', 'A2'],
      );
    });

    test("probe: sarah writing dinesh's rows is denied and changes nothing", async () => {
      await assert.rejects(
        as(sarah).update({ table: 'assignments', where: { 'Order ID': 'B2' }, set: { Status: 'RESOLVED' } }),
        denied(/may not update in state table assignments: .*excludes the 1 row matching Order ID = "B2"/),
      );
      await assert.rejects(
        as(sarah).update({
          table: 'assignments',
          where: { 'Assigned Agent': dinesh.email },
          set: { Status: 'RESOLVED' },
        }),
        denied(/may not write rows matching/),
      );
      await assert.rejects(
        as(sarah).delete({ table: 'assignments', where: { 'Order ID': 'B1' } }),
        denied(/excludes the 1 row/),
      );
      // Taking a row over by rewriting its agent, or inserting one for him.
      await assert.rejects(
        as(sarah).update({
          table: 'assignments',
          where: { 'Order ID': 'A2' },
          set: { 'Assigned Agent': dinesh.email },
        }),
        denied(/may not set Assigned Agent = "dinesh@example.com"/),
      );
      await assert.rejects(
        as(sarah).insert({
          table: 'assignments',
          rows: [{ 'Order ID': 'X', 'Assigned Agent': dinesh.email, Status: 'IN_PROGRESS' }],
        }),
        denied(/may not insert row 1 in state table assignments/),
      );
      const b = await as(dinesh).select({ table: 'assignments' });
      assert.deepEqual(
        b.map((r) => [r['Order ID'], r.Status]),
        [
          ['B1', 'NEW'],
          ['B2', 'IN_PROGRESS'],
        ],
      );
    });

    test('the write rule allows its statuses only; an allowed write lands and is attributed', async () => {
      await assert.rejects(
        as(sarah).update({ table: 'assignments', where: { 'Order ID': 'A2' }, set: { Status: 'CLOSED' } }),
        denied(/permissions\.sheets_access\.assignments_tab\.write/),
      );
      // A1 is NEW, a status the rule does not write: a change that leaves it NEW is refused (by the
      // database's policy: no check above sees it), while moving it to a status the rule allows is not.
      await assert.rejects(
        as(sarah).update({ table: 'assignments', where: { 'Order ID': 'A1' }, set: { Note: 'x' } }),
        denied(/may not update in state table assignments: permissions\.sheets_access\.assignments_tab\.write/),
      );
      assert.equal(
        await as(sarah).update({ table: 'assignments', where: { Status: 'NEW' }, set: { Status: 'IN_PROGRESS' } }),
        1,
      );
      const b1 = await as(dinesh).select({ table: 'assignments', where: { 'Order ID': 'B1' } });
      assert.equal(b1[0]?.Status, 'NEW', "her filter on NEW never reached dinesh's row");
      assert.equal(
        await as(sarah).update({ table: 'assignments', where: { 'Order ID': 'A2' }, set: { Status: 'RESOLVED' } }),
        1,
      );
      const [a2] = await as(sarah).select({ table: 'assignments', where: { 'Order ID': 'A2' } });
      assert.equal(a2?.Status, 'RESOLVED');
      const [by] = await db.query<{ updated_by: string }>(`SELECT updated_by FROM state_rows WHERE id = $1`, [a2!._id]);
      assert.equal(by?.updated_by, 'exec-1');
    });

    test('a field skill writing the Agents tab is denied; so is a table it does not declare, or a rule it has no user for', async () => {
      await assert.rejects(
        as(sarah).insert({ table: 'agents', rows: [{ Agent: 'mallory@example.com' }] }),
        denied(/may not write rows in state table agents: permissions\.sheets_access\.agents_tab\.write is none/),
      );
      assert.equal((await as(sarah).select({ table: 'agents' })).length, 2, 'reading it is allowed');
      await assert.rejects(as(sarah).select({ table: 'payroll' }), denied(/declares no payroll_tab/));
      await assert.rejects(
        as(null).select({ table: 'assignments' }),
        denied(/needs \{user\.email\}, and this execution runs for no user/),
      );
      await assert.rejects(as(sarah, FIELD, null).select({ table: 'assignments' }), denied(/no owner team/));
    });

    test('crafted filters and rows are refused before SQL: operators, nested values, bad names', async () => {
      const t = as(sarah);
      const bad = (p: Promise<unknown>, re: RegExp) =>
        assert.rejects(p, (e: unknown) => e instanceof AsporaError && e.code === 'BAD_REQUEST' && re.test(e.message));
      await bad(t.select({ table: 'assignments', where: { 'Assigned Agent': { $ne: 'x' } } }), /a cell is a string/);
      await bad(t.select({ table: 'assignments', where: '1=1) OR (1=1' }), /where must be an object/);
      await bad(t.select({ table: 'assignments; DROP TABLE state_rows' }), /table must be a lowercase name/);
      await bad(t.select({ table: 'assignments', where: { '\u0000x': 1 } }), /column name/);
      await bad(t.update({ table: 'assignments', where: {}, set: { Status: 'RESOLVED' } }), /at least one column/);
      await bad(t.insert({ table: 'resolutions', rows: [{ _id: 1, Agent: sarah.email }] }), /_id is the platform/);
      await bad(
        t.insert({ table: 'resolutions', rows: [{ Agent: sarah.email, Blob: 'x'.repeat(10_001) }] }),
        /at most 10000/,
      );
      // A column name that reads like SQL is only a key.
      assert.deepEqual(await t.select({ table: 'assignments', where: { "Status' OR '1'='1": 'x' } }), []);
    });

    test('row-level security holds where the query layer is skipped', async () => {
      // The store alone, with sarah's resolved rules: no checks of the query layer run.
      const hers = [[{ c: 'Assigned Agent', in: [sarah.email] }]];
      const scope = { team: 'ecm-ops', table: 'assignments', read: hers, write: hers, own: hers };
      assert.deepEqual((await store.select(scope, { 'Assigned Agent': dinesh.email })).length, 0);
      assert.equal(await store.update(scope, { 'Order ID': 'B1' }, { Status: 'RESOLVED' }, 'probe'), 0);
      await assert.rejects(
        store.update(scope, { 'Order ID': 'A2' }, { 'Assigned Agent': dinesh.email }, 'probe'),
        /row-level security/,
      );
      await assert.rejects(store.insert(scope, [{ 'Assigned Agent': dinesh.email }], 'probe'), /row-level security/);
      // A rule of none, or no settings at all, sees nothing.
      assert.equal((await store.select({ ...scope, read: [] }, {})).length, 0);
      assert.equal(await store.count({ team: 'ecm-ops', table: 'assignments' }, {}), 4);
      assert.equal((await store.select({ ...scope, read: ALL }, {})).length, 4);
    });
  });
}
