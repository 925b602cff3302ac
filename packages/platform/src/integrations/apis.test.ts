/**
 * Platform API calls against a real HTTP server that records every request it receives: path
 * arguments fill one segment each and can never move the request elsewhere under the platform's
 * credential.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AsporaError } from '@aspora/sdk';
import { SecretVault } from '../secrets/secrets.ts';
import { ApiSchema } from '../config/platform-file.ts';
import { MemoryRateLimiter } from '../rate-limits/rate-limiter.ts';
import { PlatformApis } from './apis.ts';

let server: Server;
const seen: Array<{ method: string; url: string; auth: string | undefined }> = [];
let apis: PlatformApis;
const caller = { ref: 'wealth/goals-coach', domain: 'wealth' };

before(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
    req.resume();
    req.on('end', () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url })),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/users-api/v2`;
  const def = ApiSchema.parse({
    base_url: base,
    auth: { type: 'bearer', secret: 'PROFILE_KEY' },
    methods: {
      getProfile: { method: 'GET', path: '/profile/{userId}' },
      getGoals: { method: 'GET', path: '/profile/{userId}/goals' },
      addGoal: { method: 'POST', path: '/profile/{userId}/goals' },
      getItem: { method: 'GET', path: '/{itemId}' },
    },
    rate_limit: { per_skill_per_hour: 1000 },
  });
  apis = new PlatformApis(
    { profiles: def },
    new SecretVault({}, {}, { PROFILE_KEY: 'platform-credential' }),
    new MemoryRateLimiter(),
  );
});
after(() => new Promise<void>((r) => server.close(() => r())));

const refused = async (method: string, args: Record<string, unknown>) => {
  seen.length = 0;
  await assert.rejects(
    apis.call(caller, 'profiles', method, args),
    (e: unknown) => {
      assert.ok(e instanceof AsporaError, String(e));
      assert.equal(e.code, 'BAD_REQUEST', e.message);
      assert.match(e.message, /wealth\/goals-coach: api profiles\./);
      assert.doesNotMatch(e.message, /platform-credential/);
      return true;
    },
    `${method}(${JSON.stringify(args)})`,
  );
  assert.deepEqual(seen, [], `nothing reached the server for ${method}(${JSON.stringify(args)})`);
};

test('dot segments, empty values and separators in path arguments are refused and nothing is sent', async () => {
  const attacks = [
    '..',
    '.',
    '',
    '%2e%2e',
    '%2E%2e',
    '.%2e',
    '%2e',
    '%252e%252e',
    '../goals',
    'a/../../x',
    'a/b',
    'a%2fb',
    'a%2Fb',
    'a\\b',
    '%5c',
    '..\\',
    '%25252e',
  ];
  for (const userId of attacks) {
    await refused('getProfile', { userId });
    await refused('getGoals', { userId });
    await refused('addGoal', { userId, title: 'retire' });
  }
  // As the first segment, `..` would leave the base URL's own path (/users-api/v2).
  for (const itemId of ['..', '%2e%2e', '.', '']) await refused('getItem', { itemId });
});

test('legitimate ids with spaces, unicode, dots and percent signs still reach their method', async () => {
  const cases: Array<[string, string]> = [
    ['alice', '/users-api/v2/profile/alice'],
    ['a.b', '/users-api/v2/profile/a.b'],
    ['...', '/users-api/v2/profile/...'],
    ['jane doe', '/users-api/v2/profile/jane%20doe'],
    ['zoë-東京', '/users-api/v2/profile/zo%C3%AB-%E6%9D%B1%E4%BA%AC'],
    ['100%', '/users-api/v2/profile/100%25'],
    ['q?x=1#y', '/users-api/v2/profile/q%3Fx%3D1%23y'],
  ];
  for (const [userId, path] of cases) {
    seen.length = 0;
    const r = await apis.call(caller, 'profiles', 'getProfile', { userId });
    assert.deepEqual(r, { url: path });
    assert.deepEqual(seen, [{ method: 'GET', url: path, auth: 'Bearer platform-credential' }]);
  }
  seen.length = 0;
  await apis.call(caller, 'profiles', 'addGoal', { userId: 42, title: 'retire' });
  assert.deepEqual(
    seen.map((s) => [s.method, s.url]),
    [['POST', '/users-api/v2/profile/42/goals']],
  );
});
