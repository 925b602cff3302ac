/** context.invoke between skills: role rules (aspora.platform.yaml `roles:`, seed 003's by default) and visibility. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeFixture, type TestSkill } from './test-support.ts';

/** Invokes input.target and answers what came back, or the error's code, message and details. */
const CALLER = `export const handler = async (ctx) => {
  try { const r = await ctx.invoke(ctx.input.target, { userMessage: 'hi' }); return { success: true, message: 'got ' + r.message }; }
  catch (e) { return { success: false, message: e.code + ': ' + e.message, data: e.details ?? null }; }
};`;
const CALLEE = `export const handler = async (ctx) => ({ success: true, message: ctx.skill.name });`;

const skills: TestSkill[] = [
  { domain: 'ecm', role: 'manager', name: 'triage-and-assign', handler: CALLEE, ownerTeam: 'ecm-ops' },
  { domain: 'ecm', role: 'manager', name: 'manager-caller', handler: CALLER, ownerTeam: 'ecm-ops' },
  { domain: 'ecm', role: 'field', name: 'my-tickets', handler: CALLER, ownerTeam: 'ecm-ops' },
  { domain: 'ecm', role: 'field', name: 'order-details', handler: CALLEE, ownerTeam: 'ecm-ops' },
  { domain: 'ecm', role: 'admin', name: 'ops-admin', handler: CALLER, ownerTeam: 'ecm-ops' },
  { domain: 'tools', name: 'no-role', handler: CALLER, ownerTeam: 'platform' },
];

type Answer = { success: boolean; message: string; data?: Record<string, unknown> | null };

/** A handler sees the error's message with its hint appended in parentheses: compare what comes before. */
const denial = (a: Answer) => a.message.slice(0, a.message.indexOf(' ('));

async function fixture(platformYaml?: string) {
  const f = await runtimeFixture(platformYaml ? { platformYaml } : {});
  for (const s of skills) await f.deploy(s);
  const invoke = async (from: string, target: string): Promise<Answer> => {
    const r = await f.runtime.run({ ref: from, input: { target } });
    assert.equal(r.error, null, JSON.stringify(r.error));
    return r.result as Answer;
  };
  return { f, invoke };
}

describe('default role rules (seed 003)', () => {
  let t: Awaited<ReturnType<typeof fixture>>;
  before(async () => {
    t = await fixture();
  });
  after(() => t.f.close());

  test("a field skill's invoke of a manager skill is denied, naming the caller, the target and the rule", async () => {
    const a = await t.invoke('ecm/my-tickets', 'ecm/triage-and-assign');
    assert.equal(a.success, false);
    assert.equal(
      denial(a),
      'PERMISSION_DENIED: ecm/field/my-tickets may not invoke ecm/manager/triage-and-assign: roles.field.may_invoke allows field',
    );
    assert.deepEqual(a.data, {
      skill: 'ecm/my-tickets',
      role: 'field',
      resource: 'invoke ecm/triage-and-assign (role manager)',
      rule: 'roles.field.may_invoke',
    });
    // The denial is in the audit log, with the calling skill as the actor and the rule.
    await new Promise((r) => setTimeout(r, 50)); // audited after the execution ends, not awaited by it
    await t.f.audit.flush();
    const [e] = await t.f.audit.query({ action: 'access.denied', actor: 'skill:ecm/my-tickets', limit: 1 });
    assert.equal(e?.outcome, 'denied');
    assert.match(String(e?.details.reason), /roles\.field\.may_invoke/);
    // Refused before the target ran: no execution of it was recorded.
    await t.f.runtime.recorder.drain();
    const ran = await t.f.db.query(
      `SELECT e.id FROM executions e JOIN skills s ON s.id = e.skill_id WHERE s.name = 'triage-and-assign'`,
    );
    assert.equal(ran.length, 0);
  });

  test('a field skill invokes a field skill; a manager skill may not invoke a field skill by default', async () => {
    assert.deepEqual(await t.invoke('ecm/my-tickets', 'ecm/order-details'), {
      success: true,
      message: 'got order-details',
    });
    const m = await t.invoke('ecm/manager-caller', 'ecm/order-details');
    assert.equal(
      denial(m),
      'PERMISSION_DENIED: ecm/manager/manager-caller may not invoke ecm/field/order-details: roles.manager.may_invoke allows manager, admin',
    );
  });

  test('an admin skill invokes any role; a role-less skill is outside role rules', async () => {
    assert.equal((await t.invoke('ecm/ops-admin', 'ecm/triage-and-assign')).message, 'got triage-and-assign');
    assert.equal((await t.invoke('tools/no-role', 'ecm/triage-and-assign')).message, 'got triage-and-assign');
    // no-role ran (and answered that it was given no target of its own): a role-less target is not refused.
    assert.match((await t.invoke('ecm/my-tickets', 'tools/no-role')).message, /^got BAD_REQUEST: skill must be/);
  });
});

describe('a custom roles section', () => {
  let t: Awaited<ReturnType<typeof fixture>>;
  before(async () => {
    t = await fixture(`roles:
  manager: { never_read: ['shared/runbooks/**'], may_invoke: [manager, field] }
  field: { may_invoke: [field] }
`);
  });
  after(() => t.f.close());

  test('a manager may invoke a field skill when configured to', async () => {
    assert.equal((await t.invoke('ecm/manager-caller', 'ecm/order-details')).message, 'got order-details');
  });

  test('the section replaces the defaults as a whole: admin, not listed, has no rule', async () => {
    assert.equal((await t.invoke('ecm/ops-admin', 'ecm/order-details')).message, 'got order-details');
    const a = await t.invoke('ecm/my-tickets', 'ecm/triage-and-assign');
    assert.match(denial(a), /^PERMISSION_DENIED: .*: roles\.field\.may_invoke allows field$/);
  });
});

describe('visibility of the invoked skill', () => {
  let t: Awaited<ReturnType<typeof fixture>>;
  before(async () => {
    t = await fixture();
    // visibility is a top-level key: the generated config takes it after the permissions lines.
    for (const [name, ownerTeam, vis] of [
      ['private-fraud', 'fraud-team', 'private'],
      ['internal-fraud', 'fraud-team', 'internal'],
      ['private-ops', 'ecm-ops', 'private'],
    ] as const)
      await t.f.deploy({
        domain: 'fraud',
        name,
        handler: CALLEE,
        ownerTeam,
        permissions: `  tools: [Read]\nvisibility: ${vis}`,
      });
  });
  after(() => t.f.close());

  test('a private skill of another team is answered as one that does not exist', async () => {
    const a = await t.invoke('ecm/my-tickets', 'fraud/private-fraud');
    const none = await t.invoke('ecm/my-tickets', 'fraud/no-such-skill');
    assert.equal(a.success, false);
    assert.equal(denial(a), 'SKILL_NOT_FOUND: skill fraud/private-fraud is not registered');
    assert.equal(
      a.message.replace('private-fraud', 'X'),
      none.message.replace('no-such-skill', 'X'),
      'the same answer as for a skill that is not registered',
    );
  });

  test("another team's internal skill, and the own team's private skill, are invokable", async () => {
    assert.equal((await t.invoke('ecm/my-tickets', 'fraud/internal-fraud')).message, 'got internal-fraud');
    assert.equal((await t.invoke('ecm/my-tickets', 'fraud/private-ops')).message, 'got private-ops');
  });
});
