/**
 * Escape attempts from inside a TypeScript handler, each asserted blocked. The handler tries them
 * all in one execution and reports what happened; the host-side (tool) attempts go through the
 * guard, the direct ones (fs, net, env, process) hit the sandbox itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeFixture } from './test-support.ts';

let f: Awaited<ReturnType<typeof runtimeFixture>>;
before(async () => {
  f = await runtimeFixture({
    secrets: { ECM_TOKEN: 'mine' },
    shared: { 'ecm/shared/queries/stuck.sql': 'select 1', 'ecm/shared/runbooks/refund.md': '# secret runbook' },
  });
  process.env.ASPORA_HOST_ONLY_SECRET = 'host-secret';
});
after(() => f.close());

const ATTEMPTS = `
import fs from 'node:fs'; import net from 'node:net'; import dns from 'node:dns/promises'; import dgram from 'node:dgram'; import cp from 'node:child_process';
const tryIt = async (fn) => { try { const v = await fn(); return 'ALLOWED ' + String(v).slice(0, 60); } catch (e) { return 'blocked ' + (e.code || e.message); } };
const connect = (opts) => new Promise((res, rej) => { const s = net.connect(opts); s.once('connect', () => { s.destroy(); res('connected'); }); s.once('error', rej); setTimeout(() => rej(new Error('timeout')), 1500); });
export const handler = async (ctx) => {
  const r = {};
  r.readShadow = await tryIt(() => fs.readFileSync('/etc/shadow', 'utf8'));
  r.readPasswd = await tryIt(() => fs.readFileSync('/etc/passwd', 'utf8'));
  r.readDataDir = await tryIt(() => fs.readdirSync(${JSON.stringify('DATA_DIR')}));
  r.readHostRoot = await tryIt(() => fs.readdirSync('/root'));
  r.writeBundle = await tryIt(() => fs.writeFileSync('/skill/x', 'y'));
  r.writeUsr = await tryIt(() => fs.writeFileSync('/usr/x', 'y'));
  r.directBlockedRunbook = await tryIt(() => fs.readFileSync('/shared/runbooks/refund.md', 'utf8'));
  r.toolBlockedRunbook = await tryIt(() => ctx.tools.read({ path: '/shared/runbooks/refund.md' }));
  r.toolDotDot = await tryIt(() => ctx.tools.read({ path: '../../../../etc/shadow' }));
  r.toolSharedDotDot = await tryIt(() => ctx.tools.read({ path: '/shared/queries/../runbooks/refund.md' }));
  r.toolAbsoluteHost = await tryIt(() => ctx.tools.read({ path: '/etc/passwd' }));
  r.toolAllowedQuery = await tryIt(() => ctx.tools.read({ path: '/shared/queries/stuck.sql' }));
  r.grepRunbooks = await tryIt(async () => JSON.stringify(await ctx.tools.grep({ pattern: 'secret', path: '/shared' })));
  r.tcpApi = await tryIt(() => connect({ host: '127.0.0.1', port: API_PORT }));
  r.tcpOut = await tryIt(() => connect({ host: '1.1.1.1', port: 443 }));
  r.dns = await tryIt(() => dns.lookup('example.com'));
  r.udp = await tryIt(() => new Promise((res, rej) => { const s = dgram.createSocket('udp4'); s.send('x', 53, '8.8.8.8', (e) => { s.close(); e ? rej(e) : res('sent'); }); }));
  r.unixSocket = await tryIt(() => connect({ path: '/run/postgresql/.s.PGSQL.5432' }));
  r.hostEnv = await tryIt(() => process.env.ASPORA_HOST_ONLY_SECRET ?? (() => { throw new Error('absent'); })());
  r.undeclaredSecret = await tryIt(() => ctx.secrets.OTHER ?? (() => { throw new Error('absent'); })());
  r.killHostPid1 = await tryIt(() => process.kill(HOST_PID, 'SIGTERM'));
  r.seeHostProcs = await tryIt(() => fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).length > 5 ? 'many' : (() => { throw new Error('few'); })());
  r.bashTool = await tryIt(() => ctx.tools.bash({ command: 'cat /etc/shadow' }));
  r.spawnShell = await tryIt(() => cp.execSync('cat /etc/shadow 2>&1; echo rc=$?').toString());
  r.forkBomb = await tryIt(() => cp.execSync('for i in $(seq 1 5000); do sleep 5 & done; echo done', { timeout: 8000 }).toString());
  return { success: true, message: 'probed', data: r };
};`;

test('every escape attempt from a TypeScript handler is blocked', async () => {
  await f.deploy({
    domain: 'ecm',
    role: 'manager',
    name: 'escape',
    timeout: '30s',
    permissions: '  tools: [Read, Grep]\n  secrets: [ECM_TOKEN]\n  shared_resources: [../shared/]\n  blocked_resources: [../field/**]',
    handler: ATTEMPTS.replace('DATA_DIR', f.dataDir).replace('API_PORT', '5432').replace('HOST_PID', String(process.pid)),
  });
  const r = await f.runtime.run({ ref: 'ecm/escape', input: {} });
  assert.equal(r.error, null, JSON.stringify(r.error));
  const d = (r.result as { data: Record<string, string> }).data;
  const blocked = (k: string, re = /^blocked/) => assert.match(d[k]!, re, `${k}: ${d[k]}`);
  for (const k of ['readShadow', 'readDataDir', 'readHostRoot', 'writeBundle', 'writeUsr', 'directBlockedRunbook', 'tcpApi', 'tcpOut', 'dns', 'udp', 'unixSocket', 'hostEnv', 'undeclaredSecret', 'killHostPid1', 'seeHostProcs']) blocked(k);
  // /etc/passwd of the host is not mounted at all.
  blocked('readPasswd');
  for (const k of ['toolBlockedRunbook', 'toolDotDot', 'toolSharedDotDot', 'toolAbsoluteHost', 'bashTool']) blocked(k, /^blocked PERMISSION_DENIED/);
  assert.match(d.toolAllowedQuery!, /^ALLOWED select 1/);
  assert.doesNotMatch(d.grepRunbooks!, /secret runbook/);
  assert.doesNotMatch(d.spawnShell!, /root:/);
  // The role rule names itself: a manager never reads runbooks.
  const denied = await f.runtime.run({ ref: 'ecm/escape', input: {} });
  assert.equal(denied.deniedCalls, 5);
});

test('nothing is left running after a timeout', async () => {
  await f.deploy({ name: 'lingers', timeout: '1s', permissions: '  tools: [Read]', handler: `import cp from 'node:child_process'; export const handler = () => { cp.spawn('/bin/sh', ['-c', 'sleep 300'], { detached: true }); return new Promise(() => {}); };` });
  const r = await f.runtime.run({ ref: 'test/lingers', input: {} });
  assert.equal(r.error?.code, 'TIMEOUT');
  await new Promise((res) => setTimeout(res, 300));
  const { execSync } = await import('node:child_process');
  const left = execSync('ps -eo user,args').toString().split('\n').filter((l) => l.includes('sleep 300') && !l.includes('grep'));
  assert.deepEqual(left, []);
});
