/**
 * read_only APIs (seed 003's Redshift): only reads leave the host, whatever the handler sends —
 * checked against a real HTTP server that records every request it receives.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AsporaError } from '@aspora/sdk';
import { ApiSchema, parsePlatformFile } from '../config/platform-file.ts';
import { MemoryRateLimiter } from '../rate-limits/rate-limiter.ts';
import { SecretVault } from '../secrets/secrets.ts';
import { PlatformApis } from './apis.ts';
import { MAX_SQL_LENGTH, selectOnlyRefusal } from './read-only.ts';

let server: Server;
const seen: Array<{ method: string; url: string; body: string }> = [];
let apis: PlatformApis;
const caller = { ref: 'ecm/my-tickets', domain: 'ecm' };

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => void (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ rows: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gw`;
  const methods = {
    executeSql: { method: 'POST', path: '/sql/execute', sql: {} },
    getRows: { method: 'GET', path: '/sheets/{tab}/rows' },
    updateCells: { method: 'POST', path: '/sheets/{tab}/update' },
    removeRow: { method: 'DELETE', path: '/sheets/{tab}/rows/{row}' },
  };
  apis = new PlatformApis(
    {
      redshift: ApiSchema.parse({ base_url: base, read_only: true, methods }),
      writable: ApiSchema.parse({ base_url: base, methods }),
    },
    new SecretVault({}, {}),
    new MemoryRateLimiter(),
  );
});
after(() => new Promise<void>((r) => server.close(() => r())));

async function refused(method: string, args: Record<string, unknown>, rule: RegExp) {
  seen.length = 0;
  await assert.rejects(
    apis.call(caller, 'redshift', method, args),
    (e: unknown) => {
      assert.ok(e instanceof AsporaError, String(e));
      assert.equal(e.code, 'PERMISSION_DENIED', e.message);
      assert.match(e.message, /^skill ecm\/my-tickets may not use api redshift\.\w+: apis\.redshift\.read_only /);
      assert.match(e.message, rule);
      assert.deepEqual(e.details, {
        skill: 'ecm/my-tickets',
        resource: `api redshift.${method}`,
        rule: 'apis.redshift.read_only',
      });
      return true;
    },
    `${method}(${JSON.stringify(args).slice(0, 200)})`,
  );
  assert.deepEqual(seen, [], 'nothing reached the server');
}

test('a read_only API refuses methods other than GET, naming the skill, the API and the rule', async () => {
  await refused(
    'updateCells',
    { tab: 'Assignments', rows: [] },
    /allows only GET, HEAD and OPTIONS \(this method is POST\)$/,
  );
  await refused('removeRow', { tab: 'Assignments', row: '3' }, /\(this method is DELETE\)$/);
  seen.length = 0;
  assert.deepEqual(await apis.call(caller, 'redshift', 'getRows', { tab: 'Assignments' }), { rows: [] });
  assert.deepEqual(
    seen.map((s) => s.method),
    ['GET'],
  );
  // The same methods on an API that is not read_only are sent.
  await apis.call(caller, 'writable', 'updateCells', { tab: 'Assignments', rows: [] });
  assert.deepEqual(
    seen.map((s) => s.method),
    ['GET', 'POST'],
  );
});

test('its SQL method sends a single SELECT with its params, and nothing else', async () => {
  seen.length = 0;
  const sql = 'SELECT order_id FROM remit.orders WHERE order_id = :order_id;';
  await apis.call(caller, 'redshift', 'executeSql', { sql, params: { order_id: 'AE136ABC00' } });
  assert.deepEqual(JSON.parse(seen[0]!.body), { sql, params: { order_id: 'AE136ABC00' } });

  await refused(
    'executeSql',
    { sql: 'DELETE FROM remit.orders' },
    /allows only a single SELECT: it starts with DELETE/,
  );
  await refused('executeSql', { sql: 'SELECT 1; DROP TABLE remit.orders' }, /more than one statement/);
  await refused(
    'executeSql',
    { sql: 'SELECT 1', statement: 'DELETE FROM x' },
    /sends only sql and params .*not statement/,
  );
  await refused('executeSql', { sql: 'SELECT 1', params: { a: { nested: 'DELETE' } } }, /plain values/);
  await refused('executeSql', { sql: 'SELECT 1', params: 'DELETE FROM x' }, /plain values/);
  await refused('executeSql', { params: [] }, /needs sql: a SQL statement/);
  await refused('executeSql', { sql: ['DELETE FROM x'] }, /needs sql/);
});

test('statements that write, lock, hide a second statement or call side effects are refused', () => {
  const refusedSql: Array<[string, RegExp]> = [
    ['INSERT INTO t VALUES (1)', /starts with INSERT/],
    ['  update t set a = 1', /starts with UPDATE/],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', /found DELETE/],
    ['WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x', /found INSERT/],
    ['SELECT * INTO new_table FROM t', /found INTO/],
    ['SELECT * FROM t FOR UPDATE', /found UPDATE/],
    ['SELECT * FROM t FOR SHARE', /row lock/],
    ['SELECT * FROM t FOR KEY SHARE', /row lock/],
    ["SELECT nextval('s')", /nextval\(\)/],
    ["SELECT pg_catalog.set_config('search_path', 'x', false)", /set_config\(\)/],
    ['SELECT pg_terminate_backend(42)', /pg_terminate_backend\(\)/],
    ['SELECT pg_sleep(3600)', /pg_sleep\(\)/],
    ['SELECT "PG_SLEEP"(1)', /pg_sleep\(\)/],
    ["SELECT query_to_xml('delete from t', true, true, '')", /query_to_xml\(\)/],
    ["SELECT lo_import('/etc/passwd')", /lo_import\(\)/],
    ["SELECT dblink_exec('x', 'drop table t')", /dblink_exec\(\)/],
    ['SELECT $$; DELETE FROM t; $$', /dollar quoting/],
    ["SELECT 'a\\'; DELETE FROM t; --'", /backslash in a string/],
    ["SELECT E'\\x27'", /backslash/],
    ['SELECT 1 /* a /* nested */ ; DELETE FROM t; */', /nested comment/],
    ['SELECT 1 /* unterminated', /unterminated comment/],
    ["SELECT 'unterminated", /unterminated string/],
    ['SELECT "unterminated', /unterminated quoted name/],
    ['SELECT 1;;', /more than one statement/],
    [';', /empty statement/],
    ['', /empty statement/],
    ['-- only a comment', /empty statement/],
    ['EXPLAIN ANALYZE DELETE FROM t', /starts with EXPLAIN/],
    ['(SELECT 1)', /starts with "\("/],
    ['TABLE t', /starts with TABLE/],
    ['SELECT 1 \u037e DELETE FROM t', /unexpected character/],
    ['SET search_path = x', /starts with SET/],
    [`SELECT '${'x'.repeat(MAX_SQL_LENGTH)}'`, /longer than/],
  ];
  for (const [sql, why] of refusedSql) {
    const r = selectOnlyRefusal(sql);
    assert.ok(r, `refused: ${sql.slice(0, 80)}`);
    assert.match(r, why, sql.slice(0, 80));
  }
  const reads = [
    "SELECT 'it''s; DELETE FROM t' AS s, \"update\" FROM t -- DELETE FROM t; \n WHERE a = $1;",
    "select substring(name from 1 for 3), x::float, y -> 'k' from t /* insert */ where z in ('DROP', 'x')",
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r',
    'SELECT * FROM pg_catalog.pg_tables',
  ];
  for (const sql of reads) assert.equal(selectOnlyRefusal(sql), null, sql);
});

test("every shared ECM query is a read the check accepts, and the example platform's Redshift is read_only", () => {
  const dir = join(import.meta.dirname, '../../../../examples/skills/ecm/shared/queries');
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  assert.ok(files.length >= 5);
  for (const f of files) assert.equal(selectOnlyRefusal(readFileSync(join(dir, f), 'utf8')), null, f);
  const example = parsePlatformFile(
    readFileSync(join(import.meta.dirname, '../../../../examples/aspora.platform.yaml'), 'utf8'),
    'examples/aspora.platform.yaml',
    {},
  );
  const redshift = example.apis.ecm_gateway_redshift!;
  assert.equal(redshift.read_only, true);
  assert.deepEqual(redshift.methods.executeSql!.sql, { arg: 'sql', params: 'params' });
});
