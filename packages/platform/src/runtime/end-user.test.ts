/**
 * The end user of an execution: a TypeScript, a Python and a Go handler each see the user the run
 * names as context.user (null without one), never a userId written in the input; the record keeps
 * the user and the caller; a skill invoked by another runs for the same user and caller.
 * Python and Go are skipped when missing, counted (under CI=true that fails: test/tools.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Principal } from '../access/principal.ts';
import { executionUser, type ExecutionUser } from './end-user.ts';
import { runtimeFixture } from './test-support.ts';
import { python, skipUnless } from '../../test/tools.ts';

const HANDLERS = {
  typescript: `export const handler = async (ctx) => ({
  success: true,
  message: 'who',
  data: { user: ctx.user, frozen: Object.isFrozen(ctx.user ?? {}) },
});
`,
  python: `from aspora_sdk import SkillResult, skill_handler


@skill_handler
async def handler(context):
    u = context.user
    user = None if u is None else {"id": u.id, "email": u.email, "name": u.name, "team": u.team, "role": u.role}
    return SkillResult(success=True, message="who", data={"user": user})
`,
  go: `package main

import aspora "github.com/aspora/sdk-go"

func Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {
	return &aspora.SkillResult{Success: true, Message: "who", Data: map[string]interface{}{"user": ctx.User}}, nil
}
`,
};

const SARAH: ExecutionUser = {
  id: 'u-7',
  email: 'sarah@example.com',
  name: 'Sarah Field',
  team: 'ecm-ops',
  role: 'field',
};
/** An input that names a user, as anyone can write one: no run takes it for the user. */
const SPOOF = { userMessage: 'who am I', userId: 'mallory@example.com', metadata: {} };

let f: Awaited<ReturnType<typeof runtimeFixture>>;
before(async () => {
  f = await runtimeFixture();
});
after(() => f.close());

const skips = { typescript: undefined, python: skipUnless(await python()), go: skipUnless('go') };

for (const lang of ['typescript', 'python', 'go'] as const) {
  describe(`a ${lang} handler`, { timeout: 180_000 }, () => {
    const ref = `test/whoami-${lang}`;
    before(async () => {
      if (!skips[lang]) await f.deploy({ name: `whoami-${lang}`, language: lang, handler: HANDLERS[lang] });
    });

    test('sees the run’s user as context.user, and the record keeps the user and the caller', {
      skip: skips[lang],
    }, async () => {
      const r = await f.runtime.run({ ref, input: SPOOF, user: SARAH, caller: 'service:ecm-ops/slack' });
      assert.equal(r.error, null, JSON.stringify(r.error));
      assert.deepEqual((r.result as { data: { user: unknown } }).data.user, SARAH);
      if (lang === 'typescript') assert.equal((r.result as { data: { frozen: boolean } }).data.frozen, true);
      assert.equal(r.userId, 'sarah@example.com');
      assert.equal(r.caller, 'service:ecm-ops/slack');
      const [stored] = await f.runtime.listExecutions({ ref, limit: 1 });
      assert.equal(stored?.id, r.id);
      assert.equal(stored?.userId, 'sarah@example.com');
      assert.equal(stored?.caller, 'service:ecm-ops/slack');
    });

    test('a userId in the input is not the user: without one context.user is null', { skip: skips[lang] }, async () => {
      const r = await f.runtime.run({ ref, input: SPOOF, caller: 'service:ecm-ops/cron' });
      assert.equal(r.error, null, JSON.stringify(r.error));
      assert.equal((r.result as { data: { user: unknown } }).data.user, null);
      assert.equal(r.userId, null);
      assert.equal(r.caller, 'service:ecm-ops/cron');
      const [stored] = await f.runtime.listExecutions({ ref, limit: 1 });
      assert.equal(stored?.userId, null);
    });
  });
}

test('a skill invoked by another runs for the same user and caller, whatever its input says', async () => {
  await f.deploy({ name: 'whoami-typescript', handler: HANDLERS.typescript });
  await f.deploy({
    name: 'asks-whoami',
    handler: `export const handler = async (ctx) => {
  const r = await ctx.invoke('test/whoami-typescript', { userMessage: 'and you?', userId: 'mallory@example.com' });
  return { success: true, message: 'asked', data: { mine: ctx.user, child: r.data.user } };
};
`,
  });
  const r = await f.runtime.run({
    ref: 'test/asks-whoami',
    input: { userMessage: 'go' },
    user: SARAH,
    caller: 'sarah@example.com',
  });
  assert.equal(r.error, null, JSON.stringify(r.error));
  const data = (r.result as { data: { mine: unknown; child: unknown } }).data;
  assert.deepEqual(data.mine, SARAH);
  assert.deepEqual(data.child, SARAH);
  const [child] = await f.runtime.listExecutions({ parentExecutionId: r.id });
  assert.equal(child?.ref, 'test/whoami-typescript');
  assert.equal(child?.userId, 'sarah@example.com');
  assert.equal(child?.caller, 'sarah@example.com');
});

test('only the five fields of the user reach the handler, each cut to size, and the caller too', async () => {
  await f.deploy({ name: 'whoami-typescript', handler: HANDLERS.typescript });
  const user = { ...SARAH, name: 'n'.repeat(10_000), tokenHash: 'must-not-leave-the-host' } as ExecutionUser;
  const r = await f.runtime.run({ ref: 'test/whoami-typescript', input: {}, user, caller: 'c'.repeat(10_000) });
  assert.equal(r.caller?.length, 256);
  const seen = (r.result as { data: { user: Record<string, unknown> } }).data.user;
  assert.deepEqual(Object.keys(seen).sort(), ['email', 'id', 'name', 'role', 'team']);
  assert.equal((seen.name as string).length, 256);
});

describe('executionUser: the end user of a principal', () => {
  const principal = (
    teams: [string, string][],
    user: Principal['user'] = { id: 'u-7', email: 'sarah@example.com', name: 'Sarah Field' },
  ) => ({
    user,
    teams: new Map(teams),
  });

  test("the skill's owner team, when the user is a member of it, with the role there", () => {
    assert.deepEqual(
      executionUser(
        principal([
          ['payments', 'manager'],
          ['ecm-ops', 'field'],
        ]),
        'ecm-ops',
      ),
      SARAH,
    );
  });

  test('else the only team of the user; several and none of them the owner: no team', () => {
    assert.deepEqual(executionUser(principal([['ecm-ops', 'field']]), 'fraud'), SARAH);
    assert.deepEqual(
      executionUser(
        principal([
          ['payments', 'manager'],
          ['ecm-ops', 'field'],
        ]),
        'fraud',
      ),
      {
        ...SARAH,
        team: null,
        role: null,
      },
    );
  });

  test("a team's service account is no user", () => {
    assert.equal(executionUser(principal([['ecm-ops', 'service']], null), 'ecm-ops'), null);
  });
});
