/**
 * Shared resources as versioned bundles over HTTP: a registered version is mounted under /shared
 * for the skill versions registered while it is current; a later one is seen only by a new skill
 * version; a pin holds; blocked_resources still deny; hostile bundles and non-members are refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { packFiles } from '../src/store/index.ts';
import { skillFolder, tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';

const skip = skipUnless('bubblewrap') ?? false;
type P = Awaited<ReturnType<typeof tempPlatform>>;
let p: P;
const tokens: Record<string, string> = {};

const HANDLER = `import { existsSync } from 'node:fs';
export const handler = async (ctx) => {
  const limits = await ctx.tools.read({ path: '/shared/policies/limits.txt' });
  let blocked;
  try { blocked = await ctx.tools.read({ path: '/shared/private/keys.txt' }); } catch (e) { blocked = e.code + ': ' + e.details?.rule; }
  return { success: true, message: 'read', data: { limits, blocked, blockedMounted: existsSync('/shared/private/keys.txt') } };
};
`;

function skill(name: string, version: string, pin?: string | number): Promise<Buffer> {
  const files = skillFolder({ name, version, handler: HANDLER });
  const config = `skill:
  name: ${name}
  domain: fraud
  version: ${version}
  description: "Reads the fraud domain's shared limits. Do NOT use for chargebacks."
runtime:
  language: typescript
  entry_point: code/handler.ts
triggers:
  - type: message
    patterns: [limits]
permissions:
  tools: [Read]
  shared_resources: [shared/**]
  blocked_resources: [shared/private/**]
${pin === undefined ? '' : `  shared_resources_version: ${typeof pin === 'string' ? JSON.stringify(pin) : pin}\n`}owner_team: fraud-team
`;
  files.set('aspora.config.yaml', Buffer.from(config));
  return packFiles(files).then((b) => b.bytes);
}

const sharedBundle = async (limits: string) =>
  (
    await packFiles(
      new Map([
        ['policies/limits.txt', Buffer.from(limits)],
        ['private/keys.txt', Buffer.from('not for skills')],
      ]),
    )
  ).bytes;

const json = (method: string, body: unknown, token?: string) => ({
  method,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
});
const gz = (bytes: Buffer, token?: string) => ({
  method: 'POST',
  body: bytes,
  headers: { 'content-type': 'application/gzip', ...(token ? { authorization: `Bearer ${token}` } : {}) },
});

async function ok<T>(r: Promise<Response>, status?: number): Promise<T> {
  const res = await r;
  const text = await res.text();
  assert.ok(res.ok, text);
  if (status) assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}
async function refused(r: Promise<Response>, status: number): Promise<{ code: string; message: string }> {
  const res = await r;
  const text = await res.text();
  assert.equal(res.status, status, text);
  return (JSON.parse(text) as { error: { code: string; message: string } }).error;
}

type Registered = { version: string; seq: number; digest: string; created: boolean; createdBy: string };
const register = (bytes: Buffer, token?: string, version?: string) =>
  p.fetch(`/v1/shared-resources/fraud${version ? `?version=${version}` : ''}`, gz(bytes, token));

async function publishAndDeploy(name: string, version: string, pin?: string | number): Promise<void> {
  await ok(p.fetch('/v1/bundles', gz(await skill(name, version, pin))));
  await ok(p.fetch(`/v1/skills/fraud/${name}/deployments`, json('POST', { environment: 'production', version })));
}
type Run = {
  success: boolean;
  error: unknown;
  result: { data: { limits: string; blocked: string; blockedMounted: boolean } };
};
const run = async (name: string) =>
  ok<Run>(p.fetch(`/v1/skills/fraud/${name}/executions`, json('POST', { input: { userMessage: 'limits' } })));

before(async () => {
  p = await tempPlatform();
  await ok(p.fetch('/v1/teams', json('POST', { name: 'fraud-team' })));
  await ok(p.fetch('/v1/teams', json('POST', { name: 'other-team' })));
  await ok(p.fetch('/v1/users', json('POST', { email: 'ana@example.com', team: 'fraud-team', role: 'member' })));
  await ok(p.fetch('/v1/users', json('POST', { email: 'bob@example.com', team: 'other-team', role: 'member' })));
  await ok(p.fetch('/v1/users', json('POST', { email: 'loner@example.com' })));
  for (const [k, body] of Object.entries({
    ana: { user: 'ana@example.com', scopes: ['read', 'run', 'deploy'], expires: '1d' },
    anaRead: { user: 'ana@example.com', scopes: ['read', 'run'], expires: '1d' },
    bob: { user: 'bob@example.com', scopes: ['read', 'run', 'deploy'], expires: '1d' },
    loner: { user: 'loner@example.com', scopes: ['read'], expires: '1d' },
  }))
    tokens[k] = (await ok<{ token: string }>(p.fetch('/v1/tokens', json('POST', body)))).token;
});
after(() => p.cleanup());

test('a domain with no skill: only an admin registers its shared resources; the same content again is the same version', async () => {
  const e = await refused(register(await sharedBundle('v1'), tokens.ana), 403);
  assert.equal(e.code, 'FORBIDDEN');
  assert.match(e.message, /ana@example.com may not register shared resources of domain fraud: .*only an admin/);
  const first = await ok<Registered>(register(await sharedBundle('v1')), 201);
  assert.deepEqual([first.version, first.seq, first.created], ['1', 1, true]);
  const again = await ok<Registered>(register(await sharedBundle('v1')), 200);
  assert.deepEqual([again.version, again.digest, again.created], ['1', first.digest, false]);
});

test('register → a skill reads a file from /shared; blocked_resources still deny (the file is not even mounted)', {
  skip,
}, async () => {
  await publishAndDeploy('reader', '1.0.0');
  const r = await run('reader');
  assert.equal(r.success, true, JSON.stringify(r.error));
  assert.equal(r.result.data.limits, 'v1');
  assert.match(r.result.data.blocked, /^PERMISSION_DENIED: .*shared\/private/);
  assert.equal(r.result.data.blockedMounted, false);
});

test('a member of a team owning a skill of the domain registers; another team is refused naming the rule', async () => {
  await ok(p.fetch('/v1/bundles', gz(await skill('owned', '1.0.0'))));
  const bob = await refused(register(await sharedBundle('v2'), tokens.bob), 403);
  assert.match(
    bob.message,
    /bob@example.com may not register shared resources of domain fraud: .*owns a skill.*fraud-team/,
  );
  const noDeploy = await refused(register(await sharedBundle('v2'), tokens.anaRead), 403);
  assert.equal(noDeploy.code, 'FORBIDDEN');
  const v2 = await ok<Registered>(register(await sharedBundle('v2'), tokens.ana), 201);
  assert.deepEqual([v2.version, v2.createdBy], ['2', 'ana@example.com']);
  // A label given is a semver; the same label with other content is a conflict.
  assert.equal((await refused(register(await sharedBundle('x'), tokens.ana, 'latest'), 400)).code, 'BAD_REQUEST');
  const v3 = await ok<Registered>(register(await sharedBundle('v3'), tokens.ana, '3.0.0'), 201);
  assert.deepEqual([v3.version, v3.seq], ['3.0.0', 3]);
  assert.equal(
    (await refused(register(await sharedBundle('other'), tokens.ana, '3.0.0'), 409)).code,
    'VERSION_CONFLICT',
  );
});

test('a version registered after a skill version is not seen by it; the next skill version sees it', {
  skip,
}, async () => {
  assert.equal((await run('reader')).result.data.limits, 'v1');
  await publishAndDeploy('reader', '1.1.0');
  assert.equal((await run('reader')).result.data.limits, 'v3');
});

test('a pinned version holds whatever is current; a pin of an unregistered version is refused at publish', {
  skip,
}, async () => {
  await publishAndDeploy('pinned', '1.0.0', 2);
  assert.equal((await run('pinned')).result.data.limits, 'v2');
  await publishAndDeploy('pinned-semver', '1.0.0', '3.0.0');
  assert.equal((await run('pinned-semver')).result.data.limits, 'v3');
  const e = await refused(p.fetch('/v1/bundles', gz(await skill('pinned', '1.1.0', 9))), 404);
  assert.match(e.message, /pins shared resources fraud@9, which are not registered/);
});

test('a bundle with a symlink or a `..` path is refused and nothing is registered', async () => {
  const raw = async (entries: Array<{ header: Partial<tar.Header> & { name: string }; data?: string }>) => {
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    const done = (async () => {
      for await (const c of pack) chunks.push(c as Buffer);
    })();
    for (const e of entries) pack.entry(e.header, e.data ?? '');
    pack.finalize();
    await done;
    return gzipSync(Buffer.concat(chunks));
  };
  const link = await raw([{ header: { name: 'policies/passwd', type: 'symlink', linkname: '/etc/passwd' } }]);
  const up = await raw([{ header: { name: '../evil.txt', type: 'file' }, data: 'x' }]);
  for (const bytes of [link, up]) {
    const e = await refused(register(bytes), 422);
    assert.equal(e.code, 'BUNDLE_INVALID');
  }
  const list = await ok<{ versions: Registered[] }>(p.fetch('/v1/shared-resources/fraud'));
  assert.deepEqual(
    list.versions.map((v) => v.version),
    ['3.0.0', '2', '1'],
  );
});

test('registrations and refusals are audited: who, which domain, version and digest', async () => {
  await new Promise((r) => setTimeout(r, 100)); // entries are written after the answers
  type Entry = {
    actor: string;
    action: string;
    target: string | null;
    outcome: string;
    details: Record<string, unknown>;
  };
  const { entries } = await ok<{ entries: Entry[] }>(p.fetch('/v1/audit?since=1h&limit=500'));
  const registered = entries.filter((e) => e.action === 'shared.register');
  assert.deepEqual(
    registered.map((e) => [e.actor, e.target, e.details.version]).sort(),
    [
      ['admin@localhost', 'domain fraud', '1'],
      ['ana@example.com', 'domain fraud', '2'],
      ['ana@example.com', 'domain fraud', '3.0.0'],
    ].sort(),
  );
  assert.ok(registered.every((e) => typeof e.details.digest === 'string'));
  const denied = entries.filter((e) => e.outcome === 'denied' && e.target?.includes('/v1/shared-resources/fraud'));
  assert.ok(
    denied.some((e) => e.actor === 'bob@example.com'),
    'the refusal of bob is not audited',
  );
});

test('the list is for whoever sees a skill of the domain; to others the domain does not exist', async () => {
  const mine = await ok<{ versions: Registered[] }>(
    p.fetch('/v1/shared-resources/fraud', { headers: { authorization: `Bearer ${tokens.ana}` } }),
  );
  assert.equal(mine.versions[0]!.version, '3.0.0');
  const e = await refused(
    p.fetch('/v1/shared-resources/fraud', { headers: { authorization: `Bearer ${tokens.loner}` } }),
    404,
  );
  assert.equal(e.code, 'NOT_FOUND');
});
