/**
 * Escape attempts (attempts.ts) from TypeScript, Python and Go handlers, each asserted blocked.
 * One execution per attempt and language, so a verdict is about that attempt alone; after the
 * limit attempts the platform must still serve.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { parseDigest } from '../../store/index.ts';
import { runtimeFixture, type TestSkill } from '../test-support.ts';
import { skipUnless, suiteUnless } from '../../../test/tools.ts';
import { ATTEMPTS, type Attempt } from './attempts.ts';

const LANGS = [
  { lang: 'typescript', file: 'probe.ts', linger: 301 },
  { lang: 'python', file: 'probe.py', linger: 302 },
  { lang: 'go', file: 'probe.go', linger: 303 },
] as const;

let f: Awaited<ReturnType<typeof runtimeFixture>>;
let hostService: Server;
let abstract: Server;
const vars: Record<string, string | number> = {};

const probe = (lang: string, short: boolean): TestSkill => ({
  domain: 'ecm',
  role: 'manager',
  name: `escape-${lang}${short ? '-short' : ''}`,
  language: lang as TestSkill['language'],
  timeout: short ? '2s' : '20s',
  memory: '256MB',
  permissions:
    '  tools: [Read, Write, Grep, Bash]\n  secrets: [PROBE_SECRET]\n  shared_resources: [../shared/]\n  blocked_resources: [../field/**]',
  handler: readFileSync(new URL(`./probes/${LANGS.find((l) => l.lang === lang)!.file}`, import.meta.url), 'utf8'),
});

before(async () => {
  f = await runtimeFixture({
    secrets: { PROBE_SECRET: 'mine', OTHER_SECRET: 'other-execution-secret-7f3a' },
    shared: { 'ecm/shared/queries/stuck.sql': 'select 1', 'ecm/shared/runbooks/refund.md': '# runbook-secret' },
  });
  process.env.ASPORA_HOST_ONLY_SECRET = 'host-secret';
  // A service on the host's loopback, standing for the platform's own API.
  hostService = createServer((s) => s.end('hello')).listen(0, '127.0.0.1');
  abstract = createServer((s) => s.end('hello')).listen({ path: '\0aspora-escape-test' });
  await new Promise((r) => hostService.once('listening', r));
  const other = await f.deploy({
    name: 'victim',
    handler: 'export const handler = async () => ({ success: true, message: "v" });',
  });
  const loaded = await f.registry.loadSkill(other.ref, { version: other.version });
  Object.assign(vars, {
    DATA_DIR: f.dataDir,
    SHARED_SRC: join(f.dataDir, 'shared-src'),
    OTHER_BUNDLE: join(f.dataDir, 'runtime', 'bundles', parseDigest(loaded.version.bundleDigest).hex),
    API_PORT: (hostService.address() as { port: number }).port,
    ABSTRACT: 'aspora-escape-test',
    HOST_PID: process.pid,
    OTHER_SECRET_VALUE: 'other-execution-secret-7f3a',
  });
  // The victim's bundle must exist on the host for the attempt to mean something.
  await f.runtime.run({ ref: 'test/victim', input: {} });
  // A skill that holds OTHER_SECRET while the probes scan for it.
  await f.deploy({
    name: 'holder',
    permissions: '  secrets: [OTHER_SECRET]',
    timeout: '60s',
    handler:
      'export const handler = async (ctx) => { await new Promise((r) => setTimeout(r, Number(ctx.input.metadata.ms))); return { success: true, message: ctx.secrets.OTHER_SECRET.slice(0, 5) }; };',
  });
});
after(async () => {
  hostService.close();
  abstract.close();
  await f.close();
});

/** "$X" and "…$X…" in a step, from the fixture. */
function fill(v: unknown, extra: Record<string, string | number>): unknown {
  if (typeof v === 'string') {
    const whole = /^\$([A-Z_]+)$/.exec(v);
    if (whole) return { ...vars, ...extra }[whole[1]!] ?? v;
    return v.replace(/\$([A-Z_]+)/g, (m, k: string) => String({ ...vars, ...extra }[k] ?? m));
  }
  if (Array.isArray(v)) return v.map((x) => fill(x, extra));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, extra)]));
  return v;
}

const alive = (marker: string) =>
  execSync('ps -eo args')
    .toString()
    .split('\n')
    .filter((l) => l.trim() === marker);

for (const { lang, linger } of LANGS) {
  describe(
    `escape attempts from a ${lang} handler`,
    suiteUnless(lang === 'go' ? skipUnless('go') : undefined, () => {
      before(async () => {
        await f.deploy(probe(lang, false));
        await f.deploy(probe(lang, true));
      });

      for (const a of ATTEMPTS) {
        test(a.name, async () => {
          await check(lang, a, { LINGER: linger, LINGER_BASH: linger + 10 });
        });
      }
    }),
  );
}

async function check(lang: string, a: Attempt, extra: Record<string, number>): Promise<void> {
  const ref = `ecm/escape-${lang}${a.short ? '-short' : ''}`;
  const holder =
    a.step.do === 'scan' ? f.runtime.run({ ref: 'test/holder', input: { metadata: { ms: 1500 } } }) : undefined;
  if (holder) await new Promise((r) => setTimeout(r, 300)); // its worker is up and holds the secret
  const r = await f.runtime.run({ ref, input: { userMessage: a.name, metadata: { step: fill(a.step, extra) } } });
  if (holder) assert.equal((await holder).success, true);
  const out = (r.result as { data?: { ok: boolean; detail: string } } | null)?.data;
  if (a.lingers) {
    await new Promise((res) => setTimeout(res, 400));
    const marker = `sleep ${a.step.do === 'bash' ? extra.LINGER_BASH : extra.LINGER}`;
    assert.deepEqual(alive(marker), [], `${marker} outlived the execution`);
    return;
  }
  if (r.error) {
    assert.ok(a.mayEndExecution, `the execution failed: ${r.error.code} ${r.error.message}`);
    if (a.detail) assert.match(`${r.error.code} ${r.error.message}`, a.detail);
  } else {
    assert.ok(out, JSON.stringify(r.result));
    if (a.leaks) assert.doesNotMatch(out.detail, a.leaks, `LEAKED: ${out.detail}`);
    else assert.equal(out.ok, false, `NOT BLOCKED: ${out.detail}`);
    if (a.detail) assert.match(out.detail, a.detail);
  }
  if (a.mayEndExecution)
    assert.equal((await f.runtime.run({ ref: 'test/victim', input: {} })).success, true, 'the platform keeps serving');
}
