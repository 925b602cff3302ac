/**
 * Row rules end to end: a field skill run by sarah and by dinesh through the API, in the sandbox,
 * reaching the team's Assignments table through context.state. Each probe outside the rule —
 * reading or writing the other agent's rows, writing the Agents tab, a filter crafted to widen the
 * rule — fails the run with the rule's name and lands in the audit log with the user.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bundle, jsonInit as json, okJson as ok, tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';

const skip = skipUnless('bubblewrap') ?? false;
type P = Awaited<ReturnType<typeof tempPlatform>>;
let p: P;
const tokens: Record<string, string> = {};

const CONFIG = `skill:
  name: probe
  domain: ecm
  role: field
  version: 1.0.0
  description: "Probes the Assignments table. Do NOT use for anything real."
runtime:
  language: typescript
  entry_point: code/handler.ts
permissions:
  sheets_access:
    assignments_tab:
      read: "Assigned Agent = {user.email}"
      write: "Assigned Agent = {user.email} AND Status IN ('IN_PROGRESS', 'RESOLVED')"
    agents_tab:
      read: all
      write: none
owner_team: ecm-ops
`;
// The handler does what the input says: the probe is the handler's, the rules are the host's.
const HANDLER = `export const handler = async (ctx) => {
  const { op, table, where, set, rows } = ctx.input.metadata;
  const t = ctx.state.table(table);
  const data = op === 'select' ? await t.select(where) : op === 'update' ? await t.update(where, set) : await t.insert(rows);
  return { success: true, message: op, data: { result: data } };
};
`;

type Run = {
  id: string;
  error: { code: string; message: string } | null;
  result: { data: { result: unknown } } | null;
};
const rowsOf = (r: Run) => (r.result?.data.result ?? []) as Array<Record<string, unknown>>;
const run = (who: 'sarah' | 'dinesh', metadata: Record<string, unknown>) =>
  ok<Run>(
    p.fetch(
      '/v1/skills/ecm/probe/executions',
      json('POST', { input: { userMessage: 'probe', metadata } }, tokens[who]),
    ),
  );

before(async () => {
  p = await tempPlatform();
  await ok(p.fetch('/v1/teams', json('POST', { name: 'ecm-ops' })));
  for (const who of ['sarah', 'dinesh']) {
    await ok(p.fetch('/v1/users', json('POST', { email: `${who}@example.com`, team: 'ecm-ops', role: 'field' })));
    tokens[who] = (
      await ok<{ token: string }>(
        p.fetch('/v1/tokens', json('POST', { user: `${who}@example.com`, scopes: ['read', 'run'], expires: '1d' })),
      )
    ).token;
  }
  const b = await bundle({ name: 'probe', domain: 'ecm', handler: HANDLER, extra: { 'aspora.config.yaml': CONFIG } });
  await ok(p.fetch('/v1/bundles', { method: 'POST', body: b, headers: { 'content-type': 'application/gzip' } }));
  await ok(p.fetch('/v1/skills/ecm/probe/deployments', json('POST', { environment: 'production', version: '1.0.0' })));
  await ok(
    p.fetch(
      '/v1/teams/ecm-ops/state/assignments/rows',
      json('POST', {
        rows: [
          { 'Order ID': 'S1', 'Assigned Agent': 'sarah@example.com', Status: 'ASSIGNED' },
          { 'Order ID': 'D1', 'Assigned Agent': 'dinesh@example.com', Status: 'ASSIGNED' },
        ],
      }),
    ),
  );
  await ok(p.fetch('/v1/teams/ecm-ops/state/agents/rows', json('POST', { rows: [{ Agent: 'sarah@example.com' }] })));
});
after(() => p.cleanup());

test('each agent reads their own rows, and resolves their own ticket', { skip }, async () => {
  const s = await run('sarah', { op: 'select', table: 'assignments' });
  assert.deepEqual(
    rowsOf(s).map((r) => r['Order ID']),
    ['S1'],
  );
  const d = await run('dinesh', { op: 'select', table: 'assignments_tab' });
  assert.deepEqual(
    rowsOf(d).map((r) => r['Order ID']),
    ['D1'],
  );
  const u = await run('sarah', {
    op: 'update',
    table: 'assignments',
    where: { 'Order ID': 'S1' },
    set: { Status: 'RESOLVED' },
  });
  assert.equal(u.result?.data.result, 1, JSON.stringify(u.error));
});

test('probes outside the rule are denied, named and audited', { skip }, async () => {
  const probes: Array<[Record<string, unknown>, RegExp]> = [
    // sarah reading dinesh's rows
    [
      { op: 'select', table: 'assignments', where: { 'Assigned Agent': 'dinesh@example.com' } },
      /assignments_tab\.read/,
    ],
    // sarah writing dinesh's row
    [
      { op: 'update', table: 'assignments', where: { 'Order ID': 'D1' }, set: { Status: 'RESOLVED' } },
      /excludes the 1 row/,
    ],
    // a field skill writing the Agents tab
    [{ op: 'insert', table: 'agents', rows: [{ Agent: 'mallory@example.com' }] }, /agents_tab\.write is none/],
    // a crafted filter: her address and his in one IN list, to write both rows
    [
      {
        op: 'update',
        table: 'assignments',
        where: { 'Assigned Agent': ['sarah@example.com', 'dinesh@example.com'] },
        set: { 'Assigned Agent': 'sarah@example.com', Status: 'IN_PROGRESS' },
      },
      null as never,
    ],
  ];
  for (const [metadata, re] of probes.slice(0, 3)) {
    const r = await run('sarah', metadata);
    assert.equal(r.error?.code, 'PERMISSION_DENIED', JSON.stringify(r));
    assert.match(r.error!.message, /skill ecm\/probe \(role field\) may not .* in state table/);
    assert.match(r.error!.message, re);
  }
  // The widened filter changes only her own row: dinesh's stays his.
  const widened = await run('sarah', probes[3]![0]);
  assert.equal(widened.result?.data.result, 1);
  const his = await run('dinesh', { op: 'select', table: 'assignments' });
  assert.deepEqual(
    rowsOf(his).map((r) => [r['Order ID'], r.Status]),
    [['D1', 'ASSIGNED']],
  );

  await p.audit.flush();
  const { entries } = await ok<{
    entries: Array<{ actor: string; target: string; outcome: string; details: { user?: string; reason?: string } }>;
  }>(p.fetch('/v1/audit?action=access.denied&limit=50'));
  const state = entries.filter((e) => e.actor === 'skill:ecm/probe');
  assert.equal(state.length, 3, JSON.stringify(entries));
  assert.ok(state.every((e) => e.outcome === 'denied' && e.details.user === 'sarah@example.com'));
  assert.deepEqual(state.map((e) => e.target).sort(), ['agents', 'assignments', 'assignments']);
  assert.ok(state.some((e) => /permissions\.sheets_access\.agents_tab\.write is none/.test(e.details.reason ?? '')));
});

test('operators see every row of their team’s tables; the import is audited', async () => {
  const { tables } = await ok<{ tables: Array<{ table: string; rows: number }> }>(p.fetch('/v1/teams/ecm-ops/state'));
  assert.deepEqual(tables, [
    { table: 'agents', rows: 1 },
    { table: 'assignments', rows: 2 },
  ]);
  const { rows } = await ok<{ rows: Array<Record<string, unknown>> }>(
    p.fetch('/v1/teams/ecm-ops/state/assignments/rows'),
  );
  assert.equal(rows.length, 2);
  const replaced = await ok<{ inserted: number; removed: number }>(
    p.fetch(
      '/v1/teams/ecm-ops/state/agents/rows',
      json('POST', { rows: [{ Agent: 'a' }, { Agent: 'b' }], replace: true }),
    ),
  );
  assert.deepEqual(replaced, { inserted: 2, removed: 1 });
  const after = await ok<{ tables: Array<{ table: string; rows: number }> }>(p.fetch('/v1/teams/ecm-ops/state'));
  assert.equal(after.tables.find((t) => t.table === 'agents')?.rows, 2);
  const bad = await p.fetch('/v1/teams/ecm-ops/state/agents/rows', json('POST', { rows: [{ Agent: { nested: 1 } }] }));
  assert.equal(bad.status, 400);
  await p.audit.flush();
  const { entries } = await ok<{ entries: Array<{ action: string; target: string }> }>(
    p.fetch('/v1/audit?action=state.import&limit=10'),
  );
  assert.equal(entries.filter((e) => e.target === 'team ecm-ops').length, 3);
});
