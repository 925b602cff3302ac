/**
 * Row tables (context.state.table) from a Python and a Go handler on the real platform: the SDKs'
 * calls reach the state tables, the read rule narrows what a select returns, a write outside the
 * write rule comes back as the typed error naming the rule, and the counts and _ids arrive as the
 * languages' numbers. Each language gets its own owner team, so its tables are its own.
 * Python and Go are skipped when missing, counted (under CI=true that fails: test/tools.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionUser } from './end-user.ts';
import { runtimeFixture } from './test-support.ts';
import { python, skipUnless } from '../../test/tools.ts';

// my-tickets in each language: the user's open tickets, most urgent first; the first picked up; a
// probe at another agent's ticket; a row added and removed again.
const FIELD = {
  python: `from aspora_sdk import AsporaError, SkillResult, skill_handler


@skill_handler
async def handler(context):
    t = context.state.table("assignments")
    mine = await t.select({"Status": ["NEW", "IN_PROGRESS"]}, order_by="Priority", desc=True)
    changed = await t.update({"_id": mine[0]["_id"]}, {"Status": "IN_PROGRESS"})
    denied = None
    try:
        await t.update({"Order ID": "B1"}, {"Status": "RESOLVED"})
    except AsporaError as e:
        denied = {"code": e.code, "rule": (e.details or {}).get("rule")}
    added = await t.insert({"Order ID": "S9", "Assigned Agent": context.user.email, "Status": "NEW"})
    removed = await t.delete({"_id": added[0]["_id"]})
    return SkillResult(True, "ok", data={
        "mine": [r["Order ID"] for r in mine],
        "idsAreInts": all(type(r["_id"]) is int for r in mine + added),
        "changed": changed, "denied": denied, "removed": removed,
    })
`,
  go: `package main

import (
	"errors"

	aspora "github.com/aspora/sdk-go"
)

func Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {
	t := ctx.State.Table("assignments")
	var mine []struct {
		ID      int    \`json:"_id"\`
		OrderID string \`json:"Order ID"\`
	}
	if err := t.Select(map[string]interface{}{"Status": []string{"NEW", "IN_PROGRESS"}}, &aspora.SelectOptions{OrderBy: "Priority", Desc: true}, &mine); err != nil {
		return nil, err
	}
	changed, err := t.Update(map[string]interface{}{"_id": mine[0].ID}, map[string]interface{}{"Status": "IN_PROGRESS"})
	if err != nil {
		return nil, err
	}
	var denied map[string]interface{}
	var e *aspora.Error
	if _, err := t.Update(map[string]interface{}{"Order ID": "B1"}, map[string]interface{}{"Status": "RESOLVED"}); errors.As(err, &e) {
		denied = map[string]interface{}{"code": e.Code, "rule": e.Details["rule"]}
	}
	var added []struct {
		ID int \`json:"_id"\`
	}
	if err := t.Insert(map[string]interface{}{"Order ID": "S9", "Assigned Agent": ctx.User.Email, "Status": "NEW"}, &added); err != nil {
		return nil, err
	}
	removed, err := t.Delete(map[string]interface{}{"_id": added[0].ID})
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for _, r := range mine {
		ids = append(ids, r.OrderID)
	}
	return &aspora.SkillResult{Success: true, Message: "ok", Data: map[string]interface{}{
		"mine": ids, "idsAreInts": added[0].ID > 0, "changed": changed, "denied": denied, "removed": removed,
	}}, nil
}
`,
};

const FIELD_RULES = `  tools: [Read]
  sheets_access:
    assignments_tab:
      read: "Assigned Agent = {user.email}"
      write: "Assigned Agent = {user.email}"`;

// The team's manager skill (TypeScript) seeds the table and reads all of it back.
const MANAGER = `export const handler = async (ctx) => {
  const t = ctx.state.table('assignments');
  if (ctx.input.metadata.rows) await t.insert(ctx.input.metadata.rows);
  return { success: true, message: 'all', data: { rows: await t.select({}, { orderBy: 'Order ID' }) } };
};
`;

const SARAH: ExecutionUser = { id: 'u-s', email: 'sarah@example.com', name: null, team: null, role: 'field' };
const ROWS = [
  { 'Order ID': 'A1', 'Assigned Agent': 'sarah@example.com', Status: 'NEW', Priority: 3 },
  { 'Order ID': 'A2', 'Assigned Agent': 'sarah@example.com', Status: 'IN_PROGRESS', Priority: 1 },
  { 'Order ID': 'A3', 'Assigned Agent': 'sarah@example.com', Status: 'RESOLVED', Priority: 9 },
  { 'Order ID': 'B1', 'Assigned Agent': 'dinesh@example.com', Status: 'NEW', Priority: 2 },
];

let f: Awaited<ReturnType<typeof runtimeFixture>>;
before(async () => {
  f = await runtimeFixture();
});
after(() => f.close());

const skips = { python: skipUnless(await python()), go: skipUnless('go') };

for (const lang of ['python', 'go'] as const) {
  describe(`a ${lang} handler`, { timeout: 180_000 }, () => {
    const team = `rows-${lang}`;
    before(async () => {
      if (skips[lang]) return;
      await f.deploy({
        name: `manager-${lang}`,
        handler: MANAGER,
        ownerTeam: team,
        permissions: '  tools: [Read]\n  sheets_access:\n    assignments_tab: { read: all, write: all }',
      });
      const seeded = await f.runtime.run({
        ref: `test/manager-${lang}`,
        input: { userMessage: 'seed', metadata: { rows: ROWS } },
      });
      assert.equal(seeded.error, null, JSON.stringify(seeded.error));
      await f.deploy({
        name: `tickets-${lang}`,
        language: lang,
        handler: FIELD[lang],
        ownerTeam: team,
        permissions: FIELD_RULES,
      });
    });

    test('reads its user’s rows, writes within the rule, and gets the rule’s name when it reaches past it', {
      skip: skips[lang],
    }, async () => {
      const r = await f.runtime.run({
        ref: `test/tickets-${lang}`,
        input: { userMessage: 'my tickets', metadata: {} },
        user: SARAH,
      });
      assert.equal(r.error, null, JSON.stringify(r.error));
      const data = (r.result as { data: Record<string, unknown> }).data;
      assert.deepEqual(data.mine, ['A1', 'A2'], 'open, sarah’s only, by Priority descending');
      assert.equal(data.idsAreInts, true);
      assert.equal(data.changed, 1);
      assert.equal(data.removed, 1);
      const denied = data.denied as { code: string; rule: string };
      assert.equal(denied?.code, 'PERMISSION_DENIED');
      assert.match(denied.rule, /permissions\.sheets_access\.assignments_tab\.write/);

      const all = await f.runtime.run({ ref: `test/manager-${lang}`, input: { userMessage: 'all', metadata: {} } });
      const rows = (all.result as { data: { rows: Array<Record<string, unknown>> } }).data.rows;
      assert.deepEqual(
        rows.map((x) => `${x['Order ID']}:${x.Status}`),
        ['A1:IN_PROGRESS', 'A2:IN_PROGRESS', 'A3:RESOLVED', 'B1:NEW'],
        'A1 picked up, dinesh’s B1 untouched, S9 gone again',
      );
    });

    test('without a user the per-user rule is refused, and the execution ends with its code', {
      skip: skips[lang],
    }, async () => {
      const r = await f.runtime.run({
        ref: `test/tickets-${lang}`,
        input: { userMessage: 'my tickets', metadata: {} },
      });
      assert.equal(r.error?.code, 'PERMISSION_DENIED', JSON.stringify(r.error));
      assert.match(r.error?.message ?? '', /runs for no user/);
    });
  });
}
