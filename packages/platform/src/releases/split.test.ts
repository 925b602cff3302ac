import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketOf, hash32, inCanary, splitKey } from './split.ts';
import { ReleaseRouter } from './router.ts';
import type { OpenRelease } from './types.ts';
import { DEFAULT_RULES } from './types.ts';

const USERS = Array.from({ length: 10_000 }, (_, i) => `user${i}@example.com`);

function release(percentage: number, over: Partial<OpenRelease> = {}): OpenRelease {
  return {
    id: 42,
    skillId: 's',
    ref: 'ecm/my-tickets',
    environment: 'production',
    mode: 'split',
    stableVersionId: 'a',
    stableVersion: '1.0.0',
    canaryVersionId: 'b',
    canaryVersion: '1.1.0',
    steps: [10, 25, 50, 100],
    stepIndex: 0,
    percentage,
    stepStartedAt: new Date(),
    rules: DEFAULT_RULES,
    shadow: null,
    rollbackOnError: true,
    monitorUntil: null,
    status: 'active',
    ownerTeam: 'ecm',
    ...over,
  };
}

describe('sticky split', () => {
  it('hash32 is a 32-bit unsigned hash, stable for a string', () => {
    assert.equal(hash32('a'), hash32('a'));
    assert.notEqual(hash32('a'), hash32('b'));
    for (const s of ['', 'x', 'user@example.com', 'é€😀']) {
      const h = hash32(s);
      assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32, s);
    }
  });

  for (const pct of [10, 25, 50]) {
    it(`puts ${pct} % ± 2 points of 10,000 users in the canary`, () => {
      const inside = USERS.filter((u) => inCanary(bucketOf(42, u), pct)).length;
      assert.ok(Math.abs((inside / USERS.length) * 100 - pct) <= 2, `${inside} of 10000 at ${pct} %`);
    });
  }

  it('keeps every user in the canary at 10 % in it at 25 % and 50 %', () => {
    const at = (pct: number) => new Set(USERS.filter((u) => inCanary(bucketOf(42, u), pct)));
    const ten = at(10);
    const quarter = at(25);
    const half = at(50);
    assert.ok(ten.size > 0);
    for (const u of ten) assert.ok(quarter.has(u) && half.has(u), u);
    for (const u of quarter) assert.ok(half.has(u), u);
  });

  it('a new release reshuffles who goes first', () => {
    const first = USERS.filter((u) => inCanary(bucketOf(1, u), 10));
    const second = new Set(USERS.filter((u) => inCanary(bucketOf(2, u), 10)));
    const both = first.filter((u) => second.has(u)).length;
    // Independent draws: about 10 % of the first canary is in the second too, far from all of it.
    assert.ok(both < first.length * 0.3, `${both} of ${first.length}`);
  });

  it('keys a user by email, then caller, then session id; none: null', () => {
    assert.equal(splitKey({ user: { email: 'a@x.io' }, caller: 'service:t/k' }), 'a@x.io');
    assert.equal(splitKey({ caller: 'service:t/k', input: { metadata: { sessionId: 's1' } } }), 'service:t/k');
    assert.equal(splitKey({ input: { metadata: { sessionId: 's1' } } }), 's:s1');
    assert.equal(splitKey({ input: { metadata: { sessionId: { deep: 1 } } } }), null);
    assert.equal(splitKey({ input: {} }), null);
    assert.equal(splitKey({ input: { metadata: { sessionId: 'x'.repeat(10_000) } } })!.length, 258);
  });

  it('≥ 99 % of 10,000 users get one version from two choices across a cache refresh', async () => {
    let loads = 0;
    const router = new ReleaseRouter({ open: async () => (loads++, release(25)) }, 1_000);
    const first = new Map<string, string>();
    for (const u of USERS) first.set(u, (await router.choose('ecm/my-tickets', 'production', u))!.version);
    router.invalidate('ecm/my-tickets');
    let same = 0;
    for (const u of USERS)
      if ((await router.choose('ecm/my-tickets', 'production', u))!.version === first.get(u)) same++;
    assert.equal(loads, 2, 'one load per refresh, not per choice');
    assert.ok(same / USERS.length >= 0.99, `${same} kept their version`);
  });

  it('shadow mode sends everything to stable and names the candidate', async () => {
    const settings = {
      compareTab: 'Assignments_canary',
      keys: ['order_id'],
      maxDiffPercentage: 5,
      runs: 3,
      onPass: 'propose' as const,
    };
    const router = new ReleaseRouter({ open: async () => release(0, { mode: 'shadow', shadow: settings }) });
    for (const u of USERS.slice(0, 100)) {
      const c = await router.choose('ecm/my-tickets', 'production', u);
      assert.deepEqual(c, {
        releaseId: 42,
        version: '1.0.0',
        variant: 'stable',
        shadow: { version: '1.1.0', settings },
      });
    }
  });

  it('nothing in flight: null, and the answer is cached for the TTL', async () => {
    let loads = 0;
    const router = new ReleaseRouter({ open: async () => (loads++, null) }, 60_000);
    assert.equal(await router.choose('a/b', 'production', 'u'), null);
    assert.equal(await router.choose('a/b', 'production', 'v'), null);
    assert.equal(loads, 1);
  });
});
