/**
 * Child process: a real Aspora platform (PGlite, bundle store, runtime, gateway, HTTP), started
 * the way the platform tests do, whose only provider is the stub.
 *   node --import tsx aspora-server.ts <stub url> <api token>
 * Sends its URL to the parent over IPC. Limits are generous and the cache is off, so every
 * request reaches the stub; everything else is the platform's defaults.
 */
import { tempPlatform } from '../../packages/platform/test/helpers.ts';

const [stubUrl, token, database] = process.argv.slice(2);
// "postgres": the platform on PostgreSQL (its writes leave the event loop), in a schema of its own.
const pg =
  database === 'postgres'
    ? {
        databaseUrl: process.env.ASPORA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
        databaseSchema: `aspora_gwbench_${process.pid}`,
      }
    : {};
const platformYaml = `
providers:
  stub: { base_url: ${stubUrl}, timeout: 10s }
gateway:
  default_provider: stub
cost_optimization:
  rate_limits: { per_skill_per_hour: 1000000000, per_domain_per_day: 1000000000, per_platform_per_month: 1000000000 }
  caching: { enabled: false }
`;

const p = await tempPlatform({ apiToken: token, platformYaml, env: {}, ...pg });
process.send!({ url: p.url });
process.on(
  'disconnect',
  () =>
    void (async () => {
      if (pg.databaseSchema) await p.db.query(`DROP SCHEMA "${pg.databaseSchema}" CASCADE`).catch(() => undefined);
      await p.cleanup();
    })().finally(() => process.exit(0)),
);
