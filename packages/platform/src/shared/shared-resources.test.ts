/**
 * Who may register a domain's shared resources, and what is refused before anything is stored:
 * admins (deploy or admin scope) and members with deploy of a team owning a skill of the domain;
 * a hostile bundle (link, `..`) or a bad label leaves the store empty.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Scope } from '@aspora/api';
import type { Principal } from '../access/principal.ts';
import { openDb } from '../db/index.ts';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/types.ts';
import { registerVersion } from '../registry/register.ts';
import { skillInput } from '../registry/test-support.ts';
import { LocalBundleStore, packFiles } from '../store/index.ts';
import { SharedResources } from './shared-resources.ts';

function who(label: string, teams: Record<string, string>, scopes: Scope[], admin = false): Principal {
  return {
    kind: 'user',
    tokenId: `t-${label}`,
    tokenName: null,
    user: { id: label, email: `${label}@example.com`, name: null },
    team: null,
    teams: new Map(Object.entries(teams)),
    admin,
    scopes: new Set(scopes),
    expiresAt: null,
  };
}

async function rawTgz(entries: Array<Partial<tar.Header> & { name: string }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const h of entries) pack.entry(h, h.type === 'file' ? 'x' : '');
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

describe('registering shared resources', () => {
  let db: Db;
  let dir: string;
  let shared: SharedResources;
  before(async () => {
    db = await openDb();
    await migrate(db);
    dir = mkdtempSync(join(tmpdir(), 'aspora-shared-'));
    shared = new SharedResources(db, new LocalBundleStore(dir));
    // skillInput's owner team is `<domain>-team`.
    await registerVersion(db, skillInput('ecm', 'triage'), null);
  });
  after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('admins with deploy or admin scope, and the owner team’s members and service accounts with deploy, may', async () => {
    const service: Principal = { ...who('svc', {}, ['deploy']), kind: 'service', user: null, team: 'ecm-team' };
    service.teams = new Map([['ecm-team', 'service']]);
    for (const p of [
      who('root', {}, ['admin'], true),
      who('root2', {}, ['deploy'], true),
      who('ana', { 'ecm-team': 'manager' }, ['deploy']),
      service,
    ])
      await shared.requireRegister(p, 'ecm');
    // A domain with no skill: an admin only.
    await shared.requireRegister(who('root', {}, ['admin'], true), 'empty');
  });

  test('others are refused naming the caller, the domain and the rule', async () => {
    const cases: Array<[Principal, string, RegExp]> = [
      [who('bob', { 'fraud-team': 'field' }, ['deploy']), 'ecm', /owns a skill.*\(owners: ecm-team\)/],
      [who('reader', { 'ecm-team': 'field' }, ['read', 'run']), 'ecm', /owners: ecm-team/],
      [who('rootro', {}, ['read'], true), 'ecm', /owners: ecm-team/],
      [
        who('ana', { 'ecm-team': 'manager' }, ['deploy']),
        'empty',
        /no skill of empty is registered, so only an admin may/,
      ],
    ];
    for (const [p, domain, rule] of cases)
      await assert.rejects(shared.requireRegister(p, domain), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'FORBIDDEN');
        assert.match(
          e.message,
          new RegExp(`^${p.user!.email} may not register shared resources of domain ${domain}: `),
        );
        assert.match(e.message, rule);
        return true;
      });
  });

  test('a link, a `..` path, a bad label or an empty body is refused and nothing is stored', async () => {
    const good = (await packFiles(new Map([['a.txt', Buffer.from('a')]]))).bytes;
    const bad: Array<[() => Promise<unknown>, string]> = [
      [
        async () => shared.register('ecm', await rawTgz([{ name: 'x', type: 'symlink', linkname: '/etc/shadow' }])),
        'BUNDLE_INVALID',
      ],
      [
        async () => shared.register('ecm', await rawTgz([{ name: 'a/../../x', type: 'file', size: 1 }])),
        'BUNDLE_INVALID',
      ],
      [
        async () => shared.register('ecm', await rawTgz([{ name: 'hard', type: 'link', linkname: 'a.txt' }])),
        'BUNDLE_INVALID',
      ],
      [async () => shared.register('ecm', good, { version: 'v1' }), 'BAD_REQUEST'],
      [async () => shared.register('ecm', Buffer.alloc(0)), 'BAD_REQUEST'],
      [async () => shared.register('Not A Domain', good), 'BAD_REQUEST'],
    ];
    for (const [f, code] of bad) await assert.rejects(f(), { code });
    assert.deepEqual(readdirSync(dir), [], 'something was stored');
    assert.deepEqual(await shared.list('ecm'), []);
  });

  test('a good bundle is stored by content address and listed', async () => {
    const b = await packFiles(new Map([['queries/a.sql', Buffer.from('select 1')]]));
    const r = await shared.register('ecm', b.bytes, { actor: 'ana@example.com' });
    assert.deepEqual([r.created, r.version.digest, r.version.fileCount], [true, b.digest, 1]);
    assert.deepEqual(
      (await shared.list('ecm')).map((v) => [v.version, v.createdBy]),
      [['1', 'ana@example.com']],
    );
  });
});
