/**
 * Shadow runs on a real platform core (issue 17 part 4): a sandboxed handler that writes a state
 * table and calls a write API on a local stand-in HTTP server. Stable's write reaches the server
 * and its table; the shadow's API write is refused (naming the rule), its table write lands in the
 * _canary twin, and it reads stable's table as it was before stable's run. Through the release
 * store and the runtime's hook: stable's run starts the shadow, the comparison names the orders
 * whose priority changed, a crashing shadow leaves stable's record as it was, and N passing
 * comparisons propose (or promote) the release.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { ShadowSettings } from '@aspora/api';
import { runtimeFixture, skillFiles } from '../runtime/test-support.ts';
import { packFiles } from '../store/index.ts';
import type { RunRequest } from '../runtime/runtime.ts';
import { ShadowRunner } from './shadow.ts';
import { DEFAULT_RULES } from './types.ts';
import { windowFigures } from '../observe/alerts/rules.ts';

const seen: string[] = [];
let server: Server;
let f: Awaited<ReturnType<typeof runtimeFixture>>;

const TEAM = 'ecm-ops';
const PERMS = `  tools: [Read]
  apis: [orders, ledger]
  sheets_access:
    assignments_tab: { read: all, write: all }`;

/** A triage-like handler: reads the table, adds its assignments, calls a write API and a shadow-safe one. */
const handler = (version: string, priority: string, crash = false) => `export const handler = async (ctx) => {
  ${crash ? "throw new Error('candidate crashed');" : ''}
  const t = ctx.state.table('assignments');
  const before = await t.select({}, { limit: 1000 });
  const orders = ctx.input.metadata.orders;
  const rows = orders.map((o) => ({ 'Order ID': o, Priority: o === '1042' ? '${priority}' : 'P3' }));
  await t.insert(rows);
  const order = await ctx.apis.orders.get({ id: orders[0] });
  let wrote = 'sent';
  try { await ctx.apis.orders.assign({ order: orders[0], by: '${version}' }); } catch (e) { wrote = e.code + ': ' + e.message; }
  await ctx.apis.ledger.note({ by: '${version}' });
  // What the API write did is in the message (prose, not compared): a shadow's refused write is no behaviour change.
  return { success: true, message: wrote, data: {
    read: before.length, order,
    assignments: rows.map((r) => ({ order_id: r['Order ID'], priority: r.Priority })),
  } };
};
`;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  f = await runtimeFixture({
    platformYaml: `apis:
  orders:
    base_url: ${base}/orders
    methods:
      get: { method: GET, path: "/{id}" }
      assign: { method: POST, path: /assign }
  ledger:
    base_url: ${base}/ledger
    shadow_safe: true
    methods:
      note: { method: POST, path: /note }
notifiers:
  webhook: { url: ${base}/notify }
`,
  });
  for (const [version, priority, crash] of [
    ['1.0.0', 'P3', false],
    ['1.1.0', 'P1', false],
    ['1.2.0', 'P3', true],
    ['1.3.0', 'P3', false],
  ] as const)
    await f.publisher.publish(
      Buffer.from(
        (
          await packFiles(
            skillFiles({
              name: 'triage',
              domain: 'ecm',
              version,
              handler: handler(version, priority, crash),
              permissions: PERMS,
              ownerTeam: TEAM,
            }),
          )
        ).bytes,
      ),
    );
  await f.publisher.deploy('ecm/triage', 'production', '1.0.0');
  // A parent whose child writes the table: a shadow's child is a shadow too.
  await f.deploy({
    name: 'recorder',
    domain: 'ecm',
    ownerTeam: TEAM,
    permissions: PERMS,
    handler: `export const handler = async (ctx) => {
  await ctx.state.table('assignments').insert({ 'Order ID': ctx.input.metadata.order, Priority: 'P4' });
  await ctx.state.set('last', ctx.input.metadata.order);
  return { success: true, message: 'recorded' };
};
`,
  });
  await f.deploy({
    name: 'parent',
    domain: 'ecm',
    ownerTeam: TEAM,
    handler: `export const handler = async (ctx) => {
  const r = await ctx.invoke('ecm/recorder', { userMessage: 'record', metadata: ctx.input.metadata });
  return { success: true, message: r.message };
};
`,
  });
});
after(async () => {
  await f?.close();
  await new Promise<void>((r) => server.close(() => r()));
});

const SETTINGS: ShadowSettings = {
  compareTab: 'Assignments_canary',
  keys: ['order_id', 'Order ID'],
  maxDiffPercentage: 5,
  runs: 2,
  onPass: 'propose',
};

/** A shadow release of ecm/triage from 1.0.0 to `candidate`, started by the release store (any open one aborted first). */
async function release(candidate: string, settings: ShadowSettings = SETTINGS): Promise<number> {
  await endOpen();
  const r = await f.releases.store.start({
    ref: 'ecm/triage',
    environment: 'production',
    canaryVersion: candidate,
    mode: 'shadow',
    steps: [],
    rules: DEFAULT_RULES,
    shadow: settings,
    rollbackOnError: true,
    monitorUntil: null,
    actor: 'test',
    reason: 'deploy --canary shadow',
  });
  return r.id;
}
async function endOpen() {
  const open = await f.releases.store.open('ecm/triage', 'production');
  if (open) await f.releases.store.end(open.id, 'abort', { actor: 'test', reason: 'next test' });
}

const rows = (table: string) =>
  f.db.query<{ data: Record<string, unknown>; updated_by: string }>(
    `SELECT data, updated_by FROM state_rows WHERE team = $1 AND tab = $2 ORDER BY id`,
    [TEAM, table],
  );
const comparisons = (id: number) =>
  f.db.query<{ diff_percentage: number | null; report: any; shadow_execution_id: string | null }>(
    'SELECT diff_percentage, report, shadow_execution_id FROM shadow_comparisons WHERE release_id = $1 ORDER BY id',
    [id],
  );
const decisions = (id: number) =>
  f.db.query<{ outcome: string; reason: string; numbers: any }>(
    `SELECT outcome, reason, numbers FROM release_decisions WHERE release_id = $1 AND outcome <> 'start' ORDER BY id`,
    [id],
  );
const triage = (orders: string[]): RunRequest => ({
  ref: 'ecm/triage',
  input: { userMessage: 'triage', metadata: { orders } },
  trigger: 'cron',
});
/** Stable's run through the runtime (the router picks stable and the hook starts the shadow), then the shadow's comparison. */
async function runBoth(orders: string[]) {
  const stable = await f.runtime.run(triage(orders));
  await f.runtime.shadows.idle();
  return stable;
}

test('a shadow writes only to shadow targets: stable’s table and the write API stay as stable left them', async () => {
  await endOpen();
  const input = triage(['1042', '1043']).input;
  seen.length = 0;
  await f.db.query(
    `INSERT INTO state_rows (team, tab, data, updated_by) VALUES ($1, 'assignments', '{"Order ID":"999","Priority":"P5"}', 'import')`,
    [TEAM],
  );
  const beforeStable = await rows('assignments');
  const stable = await f.runtime.run({ ref: 'ecm/triage', input, trigger: 'cron' });
  assert.equal(stable.error, null, JSON.stringify(stable.error));
  assert.equal((stable.result as { message: string }).message, 'sent');
  const afterStable = await rows('assignments');
  const serverAfterStable = [...seen];
  assert.deepEqual(
    serverAfterStable.map((x) => x.split(' ').slice(0, 2).join(' ')),
    ['GET /orders/1042', 'POST /orders/assign', 'POST /ledger/note'],
  );

  const shadow = await f.runtime.run({
    ref: 'ecm/triage',
    input,
    version: '1.1.0',
    trigger: 'cron',
    shadowOf: { releaseId: 1, stableExecutionId: stable.id },
  });
  assert.equal(shadow.error, null, JSON.stringify(shadow.error));
  const read = (shadow.result as { data: { read: number } }).data.read;
  const wrote = (shadow.result as { message: string }).message;
  // It read stable's world as it was before the stable run it shadows (not the rows that run wrote) …
  assert.equal(read, beforeStable.length);
  assert.equal(afterStable.length, beforeStable.length + 2);
  // … its API write was refused, naming the rule, and never sent; the shadow-safe API and reads pass.
  assert.match(wrote, /^PERMISSION_DENIED: .*runs in shadow: api orders\.assign refused.*apis\.orders\.shadow_safe/);
  assert.deepEqual(
    seen.slice(serverAfterStable.length).map((x) => x.split(' ').slice(0, 2).join(' ')),
    ['GET /orders/1042', 'POST /ledger/note'],
  );
  // Stable's table is exactly as stable left it; the shadow's rows are in the twin.
  assert.deepEqual(await rows('assignments'), afterStable);
  assert.deepEqual(
    (await rows('assignments_canary')).map((r) => [r.data['Order ID'], r.data.Priority, r.updated_by]),
    [
      ['1042', 'P1', shadow.id],
      ['1043', 'P3', shadow.id],
    ],
  );
});

test('stable’s run starts the shadow; the report names the order whose priority changed, in the output and the compare tab', async () => {
  const id = await release('1.1.0');
  const stable = await f.runtime.run(triage(['1042', '1043', '1044', '1045']));
  assert.equal(stable.variant, 'stable');
  assert.equal(stable.version, '1.0.0');
  assert.equal(f.runtime.shadows.inFlight, 1, 'detached: stable’s result came back before the shadow ran');
  await f.runtime.shadows.idle();
  const [c] = await comparisons(id);
  assert.ok(c, 'a comparison row');
  const keys = (c.report.changes as { key: string }[]).map((x) => x.key);
  assert.ok(keys.includes('data.assignments[order_id=1042]'), keys.join(', '));
  assert.ok(keys.includes('assignments[Order ID=1042]'), keys.join(', '));
  assert.ok(!keys.some((k) => /104[345]/.test(k)), `unchanged orders are not named: ${keys.join(', ')}`);
  const change = c.report.changes.find((x: { key: string }) => x.key === 'data.assignments[order_id=1042]');
  assert.deepEqual(change.fields.priority, { stable: 'P3', shadow: 'P1' });
  assert.equal(c.report.table.name, 'assignments');
  assert.equal(c.report.table.twin, 'assignments_canary');
  assert.equal(c.report.table.compared, 4);
  assert.equal(c.report.deniedCalls, 1, 'the held API write is counted');
  assert.ok(Number(c.diff_percentage) > 5);
  // The shadow is an execution of its own, recorded as the release's shadow; stable's is untouched.
  await f.runtime.recorder.settled?.();
  const shadow = await f.runtime.getExecution(c.shadow_execution_id!);
  assert.equal(shadow?.variant, 'shadow');
  assert.equal(shadow?.version, '1.1.0');
  assert.equal(shadow?.releaseId, id);
  assert.deepEqual((await f.runtime.getExecution(stable.id))?.result, stable.result);
  const [d] = await decisions(id);
  assert.equal(d?.outcome, 'fail');
  assert.match(d!.reason, /over the maximum 5%/);
  // The diff route's report.
  const report = await f.releases.shadowReport('ecm/triage', 'production', 20);
  assert.equal(report.summary.runs, 1);
  assert.equal(report.comparisons[0]!.changes.length, c.report.changes.length);
  // Who may not read the team's state tables sees the output's changes, not the compare tab's rows.
  const outsider = await f.releases.shadowReport('ecm/triage', 'production', 20, () => false);
  const seenKeys = outsider.comparisons[0]!.changes.map((x) => x.key);
  assert.ok(seenKeys.includes('data.assignments[order_id=1042]'));
  assert.ok(!seenKeys.some((k) => k.startsWith('assignments[')), seenKeys.join(', '));
  assert.equal(outsider.comparisons[0]!.diffPercentage, Number(c.diff_percentage));
});

test('compare_output false: the outputs are not compared; the compare tab still is, and without one a shadow that ran passes', async () => {
  const tabOnly = await release('1.1.0', { ...SETTINGS, compareOutput: false });
  await runBoth(['3042', '1042']);
  const [c] = await comparisons(tabOnly);
  assert.equal(c!.report.output.skipped, true);
  assert.equal(c!.report.output.compared, 0);
  const keys = (c!.report.changes as { key: string }[]).map((x) => x.key);
  assert.ok(keys.includes('assignments[Order ID=1042]'), keys.join(', '));
  assert.ok(!keys.some((k) => k.startsWith('data.')), `no output change is named: ${keys.join(', ')}`);
  assert.equal(Number(c!.diff_percentage), 50, 'one of the two rows written differs');

  const neither = await release('1.1.0', { ...SETTINGS, compareOutput: false, compareTab: null });
  await runBoth(['1042']);
  const [d] = await comparisons(neither);
  assert.equal(Number(d!.diff_percentage), 0, 'the shadow ran: nothing compared, nothing changed');
  assert.deepEqual(d!.report.changes, []);
});

test('a crashing shadow leaves stable’s result and record intact, and is counted as failed', async () => {
  const id = await release('1.2.0');
  const stable = await f.runtime.run(triage(['2001']));
  await f.runtime.recorder.settled?.();
  const recorded = await f.runtime.getExecution(stable.id);
  await f.runtime.shadows.idle();
  const [c] = await comparisons(id);
  assert.equal(c!.diff_percentage, null);
  assert.match(c!.report.error, /candidate crashed/);
  await f.runtime.recorder.settled?.();
  assert.deepEqual(await f.runtime.getExecution(stable.id), recorded, 'stable’s record is what it was');
  assert.equal(stable.success, true);
  assert.equal(stable.error, null);
  const [d] = await decisions(id);
  assert.equal(d?.outcome, 'fail');
  assert.match(d!.reason, /shadow run failed/);
  assert.equal((await f.releases.shadowReport('ecm/triage', 'production', 20)).summary.failed, 1);
});

test('N comparisons in a row under the maximum propose the release; a failed one in between resets the streak', async () => {
  const id = await release('1.3.0');
  const status = async () => (await f.releases.store.get(id)).status;
  await runBoth(['3001']);
  assert.equal(await status(), 'active', 'one passing comparison of two');
  // A failed comparison between two passing ones breaks the streak.
  await f.db.query(
    `INSERT INTO shadow_comparisons (release_id, diff_percentage, report) VALUES ($1, NULL, '{"error":"timeout"}')`,
    [id],
  );
  await runBoth(['3002']);
  assert.equal(await status(), 'active', 'the failure reset the streak');
  await runBoth(['3003']);
  assert.equal(await status(), 'proposed');
  const ds = await decisions(id);
  assert.equal(ds.at(-1)!.outcome, 'propose');
  assert.deepEqual(ds.at(-1)!.numbers.diffs, [0, 0]);
  assert.equal(ds.at(-1)!.numbers.passingInARow, 2);
  // The owner team heard it where its alerts go (the webhook notifier here).
  const notice = seen.find((x) => x.startsWith('POST /notify'));
  assert.ok(notice, 'a notice was sent');
  assert.match(notice, /ecm\/triage: shadow release passed, waiting for promotion/);
  assert.match(notice, /aspora promote ecm\/triage/);
  // Proposed: the environment runs stable until a person promotes.
  assert.equal((await runBoth(['3004'])).version, '1.0.0');
});

test('on_pass promote: N passing comparisons promote the candidate, and the environment runs it', async () => {
  const id = await release('1.3.0', { ...SETTINGS, onPass: 'promote' });
  await runBoth(['5001']);
  await runBoth(['5002']);
  const r = await f.releases.store.get(id);
  assert.equal(r.status, 'promoted');
  assert.equal(r.decisions.at(-1)?.outcome, 'promote');
  assert.equal(r.decisions.at(-1)?.actor, 'analysis');
  assert.equal((await f.runtime.run(triage(['5003']))).version, '1.3.0');
  await f.publisher.deploy('ecm/triage', 'production', '1.0.0');
});

test('at most maxInFlight shadows at once: the others are skipped and counted; a shadow is never shadowed', async () => {
  await endOpen();
  const job = { releaseId: 1, version: '1.3.0', settings: SETTINGS };
  const r = new ShadowRunner({
    db: f.db,
    log: f.log,
    run: (x) => f.runtime.run(x),
    state: f.runtime.state,
    maxInFlight: 2,
  });
  const req = triage(['4001']);
  const stable = await f.runtime.run(req);
  for (let i = 0; i < 3; i++) r.start(req, stable, job);
  assert.equal(r.inFlight, 2);
  assert.equal(r.skipped, 1);
  r.start({ ...req, shadowOf: { releaseId: 1, stableExecutionId: stable.id } }, stable, job);
  assert.equal(r.started, 2);
  await r.idle();
});

test('context.invoke from a shadow runs the child as a shadow: its write lands in the twin', async () => {
  const before = await rows('assignments');
  const parent = await f.runtime.run({
    ref: 'ecm/parent',
    input: { userMessage: 'go', metadata: { order: '6001' } },
    shadowOf: { releaseId: 1, stableExecutionId: '00000000-0000-4000-8000-000000000001' },
  });
  assert.equal(parent.error, null, JSON.stringify(parent.error));
  assert.deepEqual(await rows('assignments'), before, 'stable’s table unchanged');
  const twin = await rows('assignments_canary');
  assert.equal(twin.at(-1)?.data['Order ID'], '6001');
  await f.runtime.recorder.settled?.();
  const [child] = await f.db.query<{ variant: string; release_id: number }>(
    'SELECT variant, release_id FROM executions WHERE parent_execution_id = $1',
    [parent.id],
  );
  assert.equal(child?.variant, 'shadow');
  // Its key-value state too: the twin key, never stable's.
  const state = await f.db.query<{ key: string; value: unknown }>(
    `SELECT key, value FROM skill_state st JOIN skills s ON s.id = st.skill_id WHERE s.domain = 'ecm' AND s.name = 'recorder'`,
  );
  assert.deepEqual(state, [{ key: 'canary:last', value: '6001' }]);
});

test('shadow executions page nobody: the alert rules’ figures leave them out', async () => {
  await f.runtime.recorder.settled?.();
  const [n] = await f.db.query<{ all: number; stable: number }>(
    `SELECT count(*)::int AS all, count(*) FILTER (WHERE variant IS DISTINCT FROM 'shadow')::int AS stable
       FROM executions e JOIN skills s ON s.id = e.skill_id WHERE s.domain = 'ecm' AND s.name = 'triage'`,
  );
  assert.ok(n!.all > n!.stable, 'the tests ran shadows of ecm/triage');
  const figures = (await windowFigures(f.db, 3_600_000)).find((w) => w.ref === 'ecm/triage');
  assert.equal(figures?.executions, n!.stable);
});
