/**
 * A queued execution's input as sent (a secret in it, say) is kept in one place only — its job —
 * and goes with it: once the execution is done (or dead), no copy of the secret is left in the job
 * engine's tables, and the execution's row holds the input redacted (decision 014, "Where a queued
 * input lives"). On PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { engineSchema } from '../src/jobs/engine.ts';
import { PG_URL } from '../src/registry/test-support.ts';
import { dbBackends } from './db-backends.ts';
import { bundle, jsonInit as json, okJson as ok, tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';
import { until } from './until.ts';
import { dropSchemas } from '../src/jobs/test-support.ts';

const skip = skipUnless('bubblewrap') ?? false;
const SECRET = `sk-live-${randomBytes(12).toString('hex')}`;

const CONFIG = `skill:
  name: charge
  domain: pay
  version: 1.0.0
  description: "Charges a card. Do NOT use for refunds."
runtime:
  language: typescript
  entry_point: code/handler.ts
permissions:
  secrets: [CARD_API_KEY]
owner_team: pay-team
`;
const HANDLER = `export const handler = async (ctx) => {
  if (ctx.input.metadata.fail) throw new Error('declined');
  return { success: true, message: 'charged' };
};`;

for (const backend of dbBackends) {
  describe(`queued input on ${backend.name}`, { skip: backend.skip || skip }, () => {
    test('after a run completes (or dies), no copy of a secret in its input is left in the job tables or its row', async () => {
      const schema = backend.name === 'postgres' ? `aspora_t_${randomBytes(6).toString('hex')}` : undefined;
      const p = await tempPlatform({
        ...(schema ? { databaseUrl: PG_URL, databaseSchema: schema } : {}),
        platformYaml: `secrets:\n  CARD_API_KEY: { value: ${SECRET} }\n`,
      });
      try {
        await ok(p.fetch('/v1/teams', json('POST', { name: 'pay-team' })));
        const b = await bundle({
          domain: 'pay',
          name: 'charge',
          handler: HANDLER,
          extra: { 'aspora.config.yaml': CONFIG },
        });
        await ok(p.fetch('/v1/bundles', { method: 'POST', body: b, headers: { 'content-type': 'application/gzip' } }));
        await ok(
          p.fetch('/v1/skills/pay/charge/deployments', json('POST', { environment: 'production', version: '1.0.0' })),
        );

        const run = async (metadata: Record<string, unknown>, maxAttempts = 3) =>
          (
            await ok<{ id: string }>(
              p.fetch(
                '/v1/skills/pay/charge/executions',
                json('POST', { async: true, maxAttempts, input: { userMessage: `key ${SECRET}`, metadata } }),
              ),
            )
          ).id;
        const done = await run({ apiKey: SECRET });
        const dead = await run({ apiKey: SECRET, fail: true }, 1);
        const status = async (id: string) => ((await (await p.fetch(`/v1/executions/${id}`)).json()) as any).status;
        await until('the runs settled', async () => (await status(done)) === 'done' && (await status(dead)) === 'dead');

        const engine = engineSchema(schema);
        const q = (sql: string, args: unknown[] = []) => p.jobs.db.query<Record<string, any>>(sql, args);
        const tables = (
          await q(
            `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
            [engine],
          )
        ).map((r) => r.table_name as string);
        assert.ok(tables.includes('job'), `the engine's tables: ${tables}`);
        const holding = async () => {
          const found: string[] = [];
          for (const t of tables) {
            const [r] = await q(`SELECT count(*)::int AS n FROM "${engine}"."${t}" x WHERE x::text LIKE $1`, [
              `%${SECRET}%`,
            ]);
            if (r!.n) found.push(`${t}: ${r!.n}`);
          }
          if (found.length) {
            const rows = await q(`SELECT name, state, id::text FROM "${engine}".job x WHERE x::text LIKE $1`, [
              `%${SECRET}%`,
            ]);
            found.push(JSON.stringify(rows), JSON.stringify({ done, dead }));
          }
          return found;
        };
        // The dead-letter copy goes on the next sweep (within a second or so).
        await until('no copy in the job tables', async () => (await holding()).length === 0, 15_000).catch(async () =>
          assert.fail(`the job tables still hold the secret: ${(await holding()).join(', ')}`),
        );
        for (const id of [done, dead]) {
          const [row] = await q('SELECT x::text AS t, input FROM executions x WHERE id = $1', [id]);
          assert.ok(!row!.t.includes(SECRET), `execution ${id}'s row holds the secret`);
          // The input is recorded, redacted.
          assert.equal(row!.input.metadata.apiKey, '[secret:CARD_API_KEY]');
        }
      } finally {
        await p.cleanup();
        if (schema) await dropSchemas(schema);
      }
    });
  });
}
