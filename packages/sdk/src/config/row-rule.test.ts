import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRowRule, resolveRowRule, RowRuleError, rowMatches } from './row-rule.ts';
import { SkillConfigSchema } from './schema.ts';

const sarah = { email: 'sarah@example.com', id: 'u1', team: 'ecm-ops', role: 'field', name: null };

test("seed 003's rules parse into alternatives of terms", () => {
  assert.deepEqual(parseRowRule('Assigned Agent = {user.email}'), {
    kind: 'where',
    any: [[{ column: 'Assigned Agent', op: 'in', values: [{ user: 'email' }] }]],
  });
  const w = parseRowRule("WHERE Assigned Agent = {user.email} AND Status IN ('IN_PROGRESS', 'RESOLVED')");
  assert.equal(w.kind, 'where');
  assert.deepEqual(w.kind === 'where' && w.any[0]![1], {
    column: 'Status',
    op: 'in',
    values: [{ lit: 'IN_PROGRESS' }, { lit: 'RESOLVED' }],
  });
  assert.deepEqual(parseRowRule('all'), { kind: 'all' });
  assert.deepEqual(parseRowRule(' NONE '), { kind: 'none' });
});

test('OR splits alternatives, AND binds tighter, quoted columns and != / NOT IN negate', () => {
  const r = parseRowRule(`"Owner" = {user.email} OR \`Tier\` != 'gold' AND Priority NOT IN (1, 2.50) AND Open = true`);
  assert.equal(r.kind, 'where');
  if (r.kind !== 'where') return;
  assert.equal(r.any.length, 2);
  assert.deepEqual(
    r.any[1]!.map((t) => [t.column, t.op]),
    [
      ['Tier', 'not_in'],
      ['Priority', 'not_in'],
      ['Open', 'in'],
    ],
  );
  assert.deepEqual(r.any[1]![1]!.values, [{ lit: '1' }, { lit: '2.5' }]);
  assert.deepEqual(parseRowRule("Note = 'it''s'").kind === 'where' && parseRowRule("Note = 'it''s'"), {
    kind: 'where',
    any: [[{ column: 'Note', op: 'in', values: [{ lit: "it's" }] }]],
  });
});

test('a broken rule says what and where', () => {
  const bad: Array<[string, RegExp]> = [
    ['Status = NEW', /expected a value/],
    ["Status = 'NEW", /not closed/],
    ['Assigned Agent = {user.password}', /unknown placeholder/],
    ["Status IN ('A'", /not closed/],
    ["Status LIKE 'A%'", /expected =, !=, IN or NOT IN/],
    ['= 1', /expected a column/],
    ["Status = 'A' Owner = 'b'", /expected AND or OR|expected =/],
    ["A = 'x' AND", /ends too early/],
    [`A IN (${Array.from({ length: 65 }, (_, i) => i).join(',')})`, /at most 64 values/],
    [Array.from({ length: 17 }, (_, i) => `C${i} = 1`).join(' AND '), /at most 16 conditions/],
    [`A = '${'x'.repeat(1000)}'`, /at most 1000 characters/],
    ["A\u0001B = 'x'", /unexpected/],
  ];
  for (const [rule, re] of bad)
    assert.throws(
      () => parseRowRule(rule),
      (e: unknown) => e instanceof RowRuleError && re.test(e.message),
      rule,
    );
});

test("resolving fills in the user's fields, and names one the execution lacks", () => {
  const r = parseRowRule("Assigned Agent = {user.email} AND Status IN ('IN_PROGRESS')");
  assert.deepEqual(resolveRowRule(r, sarah), [
    [
      { c: 'Assigned Agent', in: ['sarah@example.com'] },
      { c: 'Status', in: ['IN_PROGRESS'] },
    ],
  ]);
  assert.deepEqual(resolveRowRule(r, null), { missing: 'user.email' });
  assert.deepEqual(resolveRowRule(parseRowRule('all'), null), [[]]);
  assert.deepEqual(resolveRowRule(parseRowRule('none'), sarah), []);
});

test('rows match by their text, a missing column matches no term', () => {
  const rule = resolveRowRule(parseRowRule('Assigned Agent = {user.email} AND Priority != 3'), sarah);
  assert.ok(Array.isArray(rule));
  if (!Array.isArray(rule)) return;
  assert.equal(rowMatches(rule, { 'Assigned Agent': 'sarah@example.com', Priority: 2 }), true);
  assert.equal(rowMatches(rule, { 'Assigned Agent': 'sarah@example.com', Priority: 3 }), false);
  assert.equal(rowMatches(rule, { 'Assigned Agent': 'sarah@example.com' }), false);
  assert.equal(rowMatches(rule, { 'Assigned Agent': 'dinesh@example.com', Priority: 1 }), false);
  assert.equal(rowMatches([[]], {}), true);
  assert.equal(rowMatches([], { a: 1 }), false);
});

test('the config names a broken rule at its field', () => {
  const res = SkillConfigSchema.safeParse({
    skill: { name: 'x', domain: 'd', description: 'y' },
    permissions: { sheets_access: { assignments_tab: { read: 'Status = NEW' } } },
  });
  assert.equal(res.success, false);
  const issue = res.error?.issues.find((i) => i.path.join('.') === 'permissions.sheets_access.assignments_tab.read');
  assert.match(issue?.message ?? '', /expected a value .* at "NEW" \(at character 10\)/);
});
