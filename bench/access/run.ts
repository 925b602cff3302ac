/**
 * What authentication and authorisation add to a request; prints one table.
 *   npm run bench:access [-- --n 20000 --no-postgres]
 * In process (app.request, no socket): the platform's access middleware (access-middleware.ts) in
 * front of two routes that answer the same tiny JSON — GET /v1/skills (needs a token with `read`)
 * and GET /healthz (open) — interleaved, so load on the machine hits both alike. "Added" is the
 * difference of their medians, and the ratio is of the same run. Then the first use of a token
 * (nothing cached: a database read of the token and its memberships) on PGlite and PostgreSQL.
 * Target (issue 15): ≤ 20 µs p50 added once a token is known.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { percentile, round } from '../registry/stats.ts';
import { AccessControl } from '../../packages/platform/src/access/index.ts';
import { installAccess } from '../../packages/platform/src/api/access-middleware.ts';
import { openDb, migrate } from '../../packages/platform/src/db/index.ts';
import type { Db } from '../../packages/platform/src/db/types.ts';
import { createLogger } from '../../packages/platform/src/observe/logger.ts';
import { MemoryRateLimiter } from '../../packages/platform/src/rate-limits/rate-limiter.ts';
import { mintToken } from '../../packages/platform/src/access/tokens.ts';
import { PG_URL } from '../../packages/platform/src/registry/test-support.ts';

const args = process.argv.slice(2);
const num = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const N = num('--n', 20_000);
const FIRST = num('--first', 1000);
const step = (s: string) => process.stderr.write(`… ${s}\n`);
// The platform's own copy of the router (a dependency of packages/platform, not of the root).
const platformRequire = createRequire(new URL('../../packages/platform/package.json', import.meta.url));
type App = Parameters<typeof installAccess>[0];
const { OpenAPIHono } = (await import(
  pathToFileURL(join(dirname(platformRequire.resolve('@hono/zod-openapi/package.json')), 'dist/index.mjs')).href
)) as { OpenAPIHono: new () => App };

/** An app with the platform's access middleware and two routes answering alike, one open. */
async function fixture(db: Db) {
  await migrate(db);
  const access = new AccessControl(db, createLogger('silent'));
  await access.auth.start();
  const { user } = await access.directory.addUser({ email: 'bench@example.com' });
  await access.directory.createTeam('bench-team');
  await access.directory.setMembership('bench-team', 'bench@example.com', 'dev');
  const token = mintToken();
  await access.tokens.insert({
    token,
    name: 'bench',
    userId: user.id,
    team: null,
    scopes: ['read', 'run'],
    createdBy: 'bench',
    expiresAt: new Date(Date.now() + 86_400_000),
  });
  const app = new OpenAPIHono();
  app.onError((err, c) => c.json({ error: String(err) }, 500));
  installAccess(app, { access, limiter: new MemoryRateLimiter() });
  app.get('/v1/skills', (c) => c.json({ skills: [] }));
  app.get('/healthz', (c) => c.json({ skills: [] }));
  const headers = { authorization: `Bearer ${token}` };
  const call = async (path: string, h: Record<string, string> = {}) => {
    const r = await app.request(path, { headers: h });
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
  };
  return { access, call, headers, close: () => access.auth.stop() };
}

const us = (ms: number) => round(ms * 1000, 1);
const row = (xs: number[]) => ({ 'p50 µs': us(percentile(xs, 50)), 'p99 µs': us(percentile(xs, 99)) });

async function timed(fn: () => Promise<void>, into: number[]): Promise<void> {
  const t = performance.now();
  await fn();
  into.push(performance.now() - t);
}

const table: Record<string, Record<string, number | string>> = {};

// --- known tokens: the hot path ----------------------------------------------------------------
{
  step('PGlite: open route vs route with a known token');
  const db = await openDb();
  const f = await fixture(db);
  const open: number[] = [];
  const auth: number[] = [];
  const check: number[] = [];
  for (let i = 0; i < 2000; i++) {
    await f.call('/healthz');
    await f.call('/v1/skills', f.headers);
  }
  const token = f.headers.authorization.slice(7);
  for (let i = 0; i < N; i++) {
    // Alternate which goes first, so neither always follows the other.
    if (i % 2) {
      await timed(() => f.call('/healthz'), open);
      await timed(() => f.call('/v1/skills', f.headers), auth);
    } else {
      await timed(() => f.call('/v1/skills', f.headers), auth);
      await timed(() => f.call('/healthz'), open);
    }
    await timed(async () => void (await f.access.auth.check(token)), check);
  }
  table['open route (no token)'] = { ...row(open), note: '' };
  table['token known (cached)'] = { ...row(auth), note: '' };
  const added = percentile(auth, 50) - percentile(open, 50);
  table['added by access, known token'] = {
    'p50 µs': us(added),
    // p99 of the paired differences (each request with its neighbour): p99s of two noisy series do not subtract.
    'p99 µs': us(
      percentile(
        auth.map((x, i) => x - open[i]!),
        99,
      ),
    ),
    note: `ratio ${round(percentile(auth, 50) / percentile(open, 50), 2)}×; target ≤ 20 µs p50: ${us(added) <= 20 ? 'met' : 'NOT met'}`,
  };
  table['Authenticator.check alone, cached'] = { ...row(check), note: 'SHA-256 + Map lookup + expiry' };

  step('PGlite: first use of a token');
  const first: number[] = [];
  for (let i = 0; i < FIRST; i++) {
    f.access.auth.invalidate(); // as after any change to the directory, or a token never seen here
    await timed(() => f.call('/v1/skills', f.headers), first);
  }
  table['first use (uncached), PGlite'] = { ...row(first), note: 'token + memberships read' };
  await f.close();
  await db.close();
}

// --- first use on PostgreSQL -------------------------------------------------------------------
if (!args.includes('--no-postgres')) {
  step('PostgreSQL: first use of a token');
  const schema = `aspora_bench_access_${randomBytes(4).toString('hex')}`;
  const db = await openDb({ url: PG_URL, schema, poolSize: 4 });
  try {
    const f = await fixture(db);
    const first: number[] = [];
    for (let i = 0; i < 100; i++) f.access.auth.invalidate(), await f.call('/v1/skills', f.headers);
    for (let i = 0; i < FIRST; i++) {
      f.access.auth.invalidate();
      await timed(() => f.call('/v1/skills', f.headers), first);
    }
    table['first use (uncached), PostgreSQL'] = { ...row(first), note: 'token + memberships read, local server' };
    await f.close();
  } finally {
    await db.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => c.end());
  }
}

console.log(`\naccess: ${N} requests each (interleaved), ${FIRST} first uses; in process, no socket`);
console.table(table);
