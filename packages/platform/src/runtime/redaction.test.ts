/**
 * Secrets are scrubbed from everything recorded or returned: a handler that prints, logs, throws
 * and returns its declared secrets — and a platform API's credential echoed back by the API —
 * leaves none of them in the record (row and API answer), the logs (past and live), the trace,
 * the journal or the server log. The platform's credentials never reach a handler.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformConfigFromEnv } from '../config/platform-config.ts';
import { EMPTY_PLATFORM_FILE, parsePlatformFile } from '../config/platform-file.ts';
import { getExecution } from '../observe/executions.ts';
import { createLogger } from '../observe/logger.ts';
import { pastLogs } from '../observe/logs.ts';
import type { LogLine } from '../observe/logs.ts';
import { openPlatformCore } from '../platform.ts';
import { packFiles } from '../store/index.ts';
import { bufferLogger, runtimeFixture, skillFiles } from './test-support.ts';

const PROBE = 'probe-secret-7f3a9c';
const QUOTED = 'q"uoted\\secret-42';
const CREDENTIAL = 'platform-credential-5d1e8b';
/** Every form of a value that must not appear anywhere. */
const FORBIDDEN = [PROBE, QUOTED, JSON.stringify(QUOTED).slice(1, -1), CREDENTIAL];

const platformYaml = (port: number) => `secrets:
  ECHO_TOKEN: { value: ${CREDENTIAL} }
apis:
  echo:
    base_url: http://127.0.0.1:${port}
    auth: { type: bearer, secret: ECHO_TOKEN }
    methods:
      check: { method: POST, path: /check }
`;

const HANDLER = `export const handler = async (ctx) => {
  const s = ctx.secrets.PROBE_SECRET, q = ctx.secrets.QUOTED_SECRET;
  let echo = '';
  try { await ctx.apis.echo.check({}); } catch (e) { echo = e.message + ' ' + JSON.stringify(e.details); }
  console.log('printed', s, echo);
  process.stdout.write('stdout ' + s + ' ' + JSON.stringify({ q }) + '\\n');
  process.stderr.write('stderr ' + s + '\\n');
  ctx.log.info('logged ' + s, { secret: s, [s]: 1, echo, q });
  try { await ctx.apis[s].x({}); } catch {} // a denied call named after the secret: its name is in the trace
  if (ctx.input.metadata.mode === 'throw') throw new Error('thrown ' + s + ' ' + q + ' ' + echo);
  return { success: true, message: 'returned ' + s, data: { s, q, echo, echoScrubbed: echo.includes('[secret:ECHO_TOKEN]') } };
};`;

let server: Server;
let f: Awaited<ReturnType<typeof runtimeFixture>>;
const logs = bufferLogger();
const live: LogLine[] = [];

before(async () => {
  // An API that echoes the request's Authorization header in its error answer.
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'invalid credential', got: req.headers.authorization }));
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  f = await runtimeFixture({
    log: logs.log,
    secrets: { PROBE_SECRET: PROBE, QUOTED_SECRET: QUOTED },
    platformYaml: platformYaml((server.address() as { port: number }).port),
  });
  await f.deploy({
    name: 'leaky',
    permissions: '  apis: [echo]\n  secrets: [PROBE_SECRET, QUOTED_SECRET]',
    handler: HANDLER,
  });
  await f.liveLogs.follow('test/leaky', (l) => live.push(l));
});
after(async () => {
  server.close();
  await f.close();
});

function assertClean(where: string, text: string): void {
  for (const v of FORBIDDEN)
    assert.ok(
      !text.includes(v),
      `${where} holds a secret (${JSON.stringify(v)}): …${text.slice(Math.max(0, text.indexOf(v) - 80), text.indexOf(v) + 40)}…`,
    );
}

describe('secrets in what is recorded', () => {
  for (const mode of ['return', 'throw'] as const) {
    test(`a handler that prints, logs, ${mode === 'throw' ? 'throws (message and stack)' : 'returns'} its secrets and an echoed API credential leaves none anywhere`, async () => {
      const since = new Date(Date.now() - 1000);
      live.length = 0;
      const r = await f.runtime.run({ ref: 'test/leaky', input: { metadata: { mode } } });
      if (mode === 'throw') {
        assert.equal(r.error?.code, 'HANDLER_ERROR');
        assert.match(
          r.error!.message,
          /thrown \[secret:PROBE_SECRET\] \[secret:QUOTED_SECRET\] api echo\.check answered 401/,
        );
        assert.ok(String(r.error!.details?.stack).includes('[secret:PROBE_SECRET]'));
      } else {
        assert.equal(r.success, true, JSON.stringify(r.error));
        const data = (r.result as { data: Record<string, unknown> }).data;
        assert.equal(data.s, '[secret:PROBE_SECRET]');
        assert.equal(data.q, '[secret:QUOTED_SECRET]');
        assert.equal(data.echoScrubbed, true, 'the API credential reached the handler scrubbed');
      }
      assert.ok(
        r.logs.some(
          (l) =>
            l.msg ===
            'printed [secret:PROBE_SECRET] api echo.check answered 401 {"api":"echo","method":"check","status":401,"body":{"error":"invalid credential","got":"Bearer [secret:ECHO_TOKEN]"}}',
        ),
        JSON.stringify(r.logs),
      );
      assert.ok(
        r.logs.some((l) => l.msg === 'stdout [secret:PROBE_SECRET] {"q":"[secret:QUOTED_SECRET]"}'),
        'the JSON-escaped form is scrubbed',
      );
      assert.ok(
        r.logs.some((l) => l.fields?.['[secret:PROBE_SECRET]'] === 1),
        'a key is scrubbed',
      );
      assertClean('the API answer (returned record)', JSON.stringify(r));

      await f.runtime.recorder.drain();
      assertClean('the execution row', JSON.stringify(await getExecution(f.db, r.id)));
      assertClean('the logs API', JSON.stringify(await pastLogs(f.db, 'test/leaky', since)));
      assert.ok(live.length > 3, 'live lines were followed');
      assertClean('the live logs', JSON.stringify(live));
      await f.tracer.flushLocal();
      const spans = await f.db.query('SELECT * FROM spans WHERE execution_id = $1', [r.id]);
      assert.ok(spans.length >= 3, 'execution and tool spans');
      assertClean('the trace', JSON.stringify(spans));
      const dir = join(f.dataDir, 'journal');
      const journal = readdirSync(dir)
        .map((n) => readFileSync(join(dir, n), 'utf8'))
        .join('');
      assert.ok(journal.includes(r.id));
      assertClean('the journal', journal);
      assertClean('the server log', logs.text());
    });
  }

  test("a skill that declares a platform API's credential as its secret is refused at deploy", async () => {
    await assert.rejects(
      f.deploy({
        name: 'grabby',
        permissions: '  secrets: [ECHO_TOKEN]',
        handler: 'export const handler = async () => ({ success: true, message: "x" });',
      }),
      (e: Error & { code?: string; issues?: Array<{ path: string }> }) => {
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.match(e.message, /permissions\.secrets names a credential of the platform \(ECHO_TOKEN\)/);
        assert.equal(e.issues?.[0]?.path, 'permissions.secrets[0]');
        return true;
      },
    );
  });
});

test('a version deployed before the platform declared the API gets no credential at run time', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aspora-rt-'));
  chmodSync(dataDir, 0o755);
  const config = platformConfigFromEnv({}, { dataDir });
  try {
    const before = await openPlatformCore(config, createLogger('silent'), { platformFile: EMPTY_PLATFORM_FILE });
    const handler =
      'export const handler = async (ctx) => ({ success: true, message: JSON.stringify(Object.keys(ctx.secrets)) });';
    const pub = await before.publisher.publish(
      Buffer.from(
        (await packFiles(skillFiles({ name: 'old', permissions: '  secrets: [ECHO_TOKEN]', handler }))).bytes,
      ),
    );
    await before.publisher.deploy(pub.ref, 'production', pub.version);
    await before.close();
    const now = await openPlatformCore(config, createLogger('silent'), {
      platformFile: parsePlatformFile(platformYaml(1), 'aspora.platform.yaml', {}),
    });
    try {
      const r = await now.runtime.run({ ref: 'test/old', input: {} });
      assert.equal(r.success, true, JSON.stringify(r.error));
      assert.equal((r.result as { message: string }).message, '[]');
    } finally {
      await now.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
