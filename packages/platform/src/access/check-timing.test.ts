/**
 * A token check takes as long whether a guess shares nothing or all but its last character with
 * a real token. By design: the token is never compared with anything. Its SHA-256 is computed
 * (a cost fixed by its length) and the hash looked up — in the cache's Map, then by an index of
 * api_tokens.hash — and a guess that differs in one character has a hash unrelated to the real
 * one's, so how far a guess matched cannot change what work is done. The test measures that,
 * through Authenticator.check directly, robustly enough for a loaded 2-core machine: the two kinds
 * of guess are interleaved (drift and load spikes hit both alike) and compared by their medians.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { openDb } from '../db/index.ts';
import { migrate } from '../db/migrate.ts';
import type { Db } from '../db/types.ts';
import { createLogger } from '../observe/logger.ts';
import { AccessControl } from './index.ts';
import { mintToken } from './tokens.ts';

let db: Db;
let access: AccessControl;
let known: string;

before(async () => {
  db = await openDb();
  await migrate(db);
  access = new AccessControl(db, createLogger('silent'));
  await access.auth.start();
  const { user } = await access.directory.addUser({ email: 'alice@example.com' });
  known = mintToken();
  await access.tokens.insert({
    token: known,
    name: null,
    userId: user.id,
    team: null,
    scopes: ['read'],
    createdBy: 'test',
    expiresAt: null,
  });
  assert.ok('principal' in (await access.auth.check(known)));
});
after(async () => {
  await access.auth.stop();
  await db.close();
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A guess of the known token's length whose first `same` characters are the known token's. */
function guess(same: number, i: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const tail = Array.from({ length: known.length - same }, (_, k) => {
    const real = known[same + k]!;
    // Never the real character at its place: a guess never becomes the token.
    let c = alphabet[(i * 7 + k * 13) % alphabet.length]!;
    if (c === real) c = alphabet[(alphabet.indexOf(c) + 1) % alphabet.length]!;
    return c;
  }).join('');
  return known.slice(0, same) + tail;
}

test('a guess matching no character and one matching all but the last take the same time', {
  timeout: 120_000,
}, async () => {
  const far: number[] = [];
  const near: number[] = [];
  const once = async (token: string, into: number[]) => {
    const t = performance.now();
    const r = await access.auth.check(token);
    into.push(performance.now() - t);
    assert.deepEqual(r, { refused: 'unknown' });
  };
  // Warm-up: JIT, the database's plan and pages.
  for (let i = 0; i < 100; i++) await once(guess(i % 2 ? known.length - 1 : 0, i), []);
  const N = 600;
  for (let i = 0; i < N; i++) {
    // Alternate which kind goes first, so neither always follows the other.
    if (i % 2) {
      await once(guess(0, i), far);
      await once(guess(known.length - 1, i), near);
    } else {
      await once(guess(known.length - 1, i), near);
      await once(guess(0, i), far);
    }
  }
  const ratio = median(near) / median(far);
  // 0.7–1.4: wide enough for scheduler noise on a shared 2-core machine, far narrower than what
  // a comparison leaking the matched length would show over a database lookup of ~0.1 ms or more.
  assert.ok(
    ratio > 0.7 && ratio < 1.4,
    `median ${median(near).toFixed(4)} ms (all but one matched) vs ${median(far).toFixed(4)} ms (none): ratio ${ratio.toFixed(3)}`,
  );
});

test('a refused guess is not cached: the real token is still what it was, and a wrong one never becomes it', async () => {
  assert.ok('principal' in (await access.auth.check(known)));
  assert.equal(access.auth.known(guess(known.length - 1, 1)), false);
  assert.deepEqual(await access.auth.check(`${known}x`), { refused: 'unknown' });
  assert.deepEqual(await access.auth.check('x'.repeat(513)), { refused: 'malformed' });
});
