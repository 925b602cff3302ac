/**
 * The auto-downgrade condition language: the default rules, the grammar's corners, every refusal with its position,
 * and the guarantees evaluation makes (total, no code run, no prototype reached) under 10,000 random scopes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileExpr, ExprError, MAX_EXPR_DEPTH, MAX_EXPR_LENGTH } from './expr.ts';

const ev = (source: string, task: unknown, roots?: string[]): boolean =>
  compileExpr(source, roots ? { roots } : {}).evaluate({ task });

/** Asserts `source` is refused at `position` with a message matching `message` and ending with the column. */
function refuses(source: string, position: number, message: RegExp): void {
  assert.throws(
    () => compileExpr(source),
    (e: unknown) => {
      assert.ok(e instanceof ExprError, `${JSON.stringify(source)} throws an ExprError`);
      assert.equal(e.position, position, `${JSON.stringify(source)}: position (${e.message})`);
      assert.equal(e.source, source);
      assert.match(e.message, message);
      assert.ok(e.message.endsWith(` at column ${position + 1}`), e.message);
      return true;
    },
  );
}

test('the three default rules pick the first matching model', () => {
  const rules = [
    { if: "task.type == 'classification'", use: 'claude-haiku-4-5' },
    { if: "task.input_tokens < 1000 AND task.complexity == 'low'", use: 'gpt-4o-mini' },
    { if: 'task.requires_reasoning == true', use: 'claude-sonnet-4-5' },
  ].map((r) => ({ test: compileExpr(r.if), use: r.use }));
  const pick = (task: Record<string, unknown>) => rules.find((r) => r.test.evaluate({ task }))?.use;

  const table: Array<[Record<string, unknown>, string | undefined]> = [
    [{ type: 'classification', input_tokens: 50_000 }, 'claude-haiku-4-5'],
    [{ type: 'classification', requires_reasoning: true }, 'claude-haiku-4-5'], // first rule wins
    [{ type: 'summarize', input_tokens: 999, complexity: 'low' }, 'gpt-4o-mini'],
    [{ type: 'summarize', input_tokens: 0, complexity: 'low' }, 'gpt-4o-mini'],
    [{ type: 'summarize', input_tokens: 1000, complexity: 'low' }, undefined], // < is strict
    [{ input_tokens: 500, complexity: 'LOW' }, undefined], // strings compare exactly
    [{ input_tokens: '500', complexity: 'low' }, undefined], // a string is not a number
    [{ input_tokens: 500 }, undefined],
    [{ input_tokens: 500, complexity: 'low', requires_reasoning: true }, 'gpt-4o-mini'],
    [{ requires_reasoning: true }, 'claude-sonnet-4-5'],
    [{ requires_reasoning: 'true' }, undefined],
    [{ requires_reasoning: 1 }, undefined],
    [{ type: 'Classification' }, undefined],
    [{}, undefined],
  ];
  for (const [task, want] of table) assert.equal(pick(task), want, JSON.stringify(task));

  assert.deepEqual(
    rules.map((r) => r.test.identifiers),
    [['task.type'], ['task.input_tokens', 'task.complexity'], ['task.requires_reasoning']],
  );
  assert.equal(rules[1]!.test.source, "task.input_tokens < 1000 AND task.complexity == 'low'");
});

test('precedence: NOT binds tighter than AND, AND tighter than OR', () => {
  const bools = [false, true];
  for (const a of bools)
    for (const b of bools)
      for (const c of bools) {
        const task = { a, b, c };
        const name = JSON.stringify(task);
        assert.equal(ev('NOT task.a OR task.b AND task.c', task), !a || (b && c), name);
        assert.equal(ev('task.a OR task.b AND NOT task.c', task), a || (b && !c), name);
        assert.equal(ev('task.a AND task.b OR task.c', task), (a && b) || c, name);
        assert.equal(ev('!task.a && task.b || task.c', task), (!a && b) || c, name);
        assert.equal(ev('NOT NOT task.a', task), a, name);
      }
  // NOT applies to the whole comparison, not to its left operand.
  assert.equal(ev('NOT task.n == 1', { n: 1 }), false);
  assert.equal(ev('NOT task.n == 1', { n: 2 }), true);
  assert.equal(ev("NOT task.t in ['x']", { t: 'x' }), false);
});

test('parentheses regroup, and a parenthesised condition is a value', () => {
  const bools = [false, true];
  for (const a of bools)
    for (const b of bools)
      for (const c of bools) {
        const task = { a, b, c };
        assert.equal(ev('(task.a OR task.b) AND task.c', task), (a || b) && c, JSON.stringify(task));
        assert.equal(ev('NOT (task.a AND task.b)', task), !(a && b), JSON.stringify(task));
        assert.equal(ev('((task.a))', task), a);
      }
  assert.equal(ev('(task.n > 1) == true', { n: 2 }), true);
  assert.equal(ev('(task.n > 1) == false', { n: 2 }), false);
  assert.equal(ev('(task.n) == 2', { n: 2 }), true);
});

test('in: literal lists, path lists, strict membership', () => {
  assert.equal(ev("task.type in ['classification', 'routing']", { type: 'routing' }), true);
  assert.equal(ev("task.type in ['classification', 'routing']", { type: 'skill_execution' }), false);
  assert.equal(ev('task.n in [1, 2, 3]', { n: 3 }), true);
  assert.equal(ev('task.n in [1, 2, 3]', { n: '3' }), false, 'no coercion');
  assert.equal(ev("task.v in [null, true, 'x', 4.5]", { v: null }), true);
  assert.equal(ev("task.v in [null, true, 'x', 4.5]", { v: 4.5 }), true);
  assert.equal(ev('task.v in [null]', {}), false, 'missing is not null');
  assert.equal(ev('task.v IN [task.a, task.b]', { v: 7, a: 1, b: 7 }), true, 'list items may be paths');
  assert.equal(ev('task.model in task.allowed', { model: 'm', allowed: ['a', 'm'] }), true);
  assert.equal(ev('task.model in task.allowed', { model: 'z', allowed: ['a', 'm'] }), false);
  assert.equal(ev('task.model in task.allowed', { model: 'a', allowed: 'abc' }), false, 'a string is not a list');
  assert.equal(
    ev('task.model in task.allowed', { model: 'a', allowed: { 0: 'a', length: 1 } }),
    false,
    'an array-like is not a list',
  );
  assert.equal(ev('task.model in task.allowed', { model: 'a' }), false);
  const sparse: unknown[] = [];
  sparse[2 ** 32 - 2] = 'far';
  assert.equal(
    ev('task.x in task.list', { x: 'far', list: sparse }),
    true,
    'a huge sparse array is walked by its keys',
  );
  assert.equal(ev('task.x in task.list', { x: undefined, list: sparse }), false, 'holes are not elements');
  assert.deepEqual(compileExpr('task.a in [task.b, 1] AND task.c in task.d').identifiers, [
    'task.a',
    'task.b',
    'task.c',
    'task.d',
  ]);
});

test('every comparison operator, on numbers and on strings', () => {
  const cases: Array<[string, boolean]> = [
    ['task.n == 5', true],
    ['task.n != 5', false],
    ['task.n < 5', false],
    ['task.n <= 5', true],
    ['task.n > 5', false],
    ['task.n >= 5', true],
    ['task.n == 4', false],
    ['task.n != 4', true],
    ['task.n < 6', true],
    ['task.n <= 4.99', false],
    ['task.n > 4.5', true],
    ['task.n >= 6', false],
    ['task.n > -1', true],
    ['task.n < 1e3', true],
    ['task.n == 5.0', true],
    ['5 == task.n', true],
    ['6 > task.n', true],
    ["task.s == 'mid'", true],
    ["task.s != 'mid'", false],
    ["task.s < 'nz'", true],
    ["task.s <= 'mid'", true],
    ["task.s > 'mia'", true],
    ["task.s >= 'mie'", false],
    ["task.s < 'Mid'", false],
    ["'a' < 'b'", true],
    ['task.b == true', true],
    ['task.b != false', true],
    ['task.z == null', true],
    ['task.z != null', false],
    ['task.n == task.n', true],
    ['task.n < task.m', true],
  ];
  for (const [source, want] of cases)
    assert.equal(ev(source, { n: 5, m: 6, s: 'mid', b: true, z: null }), want, source);
});

test('strings: both quote kinds and backslash escapes', () => {
  assert.equal(ev(`task.s == 'it\\'s'`, { s: "it's" }), true);
  assert.equal(ev(`task.s == "say \\"hi\\""`, { s: 'say "hi"' }), true);
  assert.equal(ev(`task.s == "it's"`, { s: "it's" }), true, 'the other quote needs no escape');
  assert.equal(ev(`task.s == 'a "b"'`, { s: 'a "b"' }), true);
  assert.equal(ev(`task.s == 'a\\\\b'`, { s: 'a\\b' }), true);
  assert.equal(ev(`task.s == 'l1\\nl2\\t\\r'`, { s: 'l1\nl2\t\r' }), true);
  assert.equal(ev(`task.s == "x" AND task.s == 'x'`, { s: 'x' }), true);
  assert.equal(ev(`task.s == ''`, { s: '' }), true);
  assert.equal(ev(`task.s == 'AND task.x'`, { s: 'AND task.x' }), true, 'keywords inside strings are text');
  assert.deepEqual(compileExpr(`task.s == 'task.hidden'`).identifiers, ['task.s']);
});

test('keywords are case-insensitive; paths are not', () => {
  const task = { a: true, b: false, t: 'x' };
  assert.equal(ev('task.a and not task.b', task), true);
  assert.equal(ev('task.a And Not task.b', task), true);
  assert.equal(ev('task.b or task.a', task), true);
  assert.equal(ev('task.b OR NOT task.a', task), false);
  assert.equal(ev('task.a == TRUE AND task.b == False', task), true);
  assert.equal(ev('task.missing_is_not == NULL', {}), false);
  assert.equal(ev('task.z == Null', { z: null }), true);
  assert.equal(ev("task.t In ['x']", task), true);
  assert.equal(ev('task.And == 1', { And: 1 }), true, 'a keyword may name a field after a dot');
  assert.throws(() => compileExpr('Task.a'), /unknown identifier "Task"/);
});

test('missing paths are undefined: false everywhere except !=', () => {
  const scopes: unknown[] = [{}, { other: 1 }, null, 7, 'task', { deep: 5 }, { deep: { a: null } }];
  for (const task of scopes) {
    const name = JSON.stringify(task);
    assert.equal(ev('task.deep.a.b == 1', task), false, name);
    assert.equal(ev('task.deep.a.b != 1', task), true, name);
    assert.equal(ev('task.deep.a.b < 1', task), false, name);
    assert.equal(ev('task.deep.a.b >= 1', task), false, name);
    assert.equal(ev("task.deep.a.b == ''", task), false, name);
    assert.equal(ev('task.deep.a.b', task), false, name);
    assert.equal(ev('NOT task.deep.a.b', task), true, name);
    assert.equal(ev('task.deep.a.b == null', task), false, 'undefined is not null');
  }
  // A missing root, and no scope object at all (a caller in plain JS could pass anything).
  assert.equal(compileExpr('task.x != 1').evaluate({}), true);
  assert.equal(compileExpr('task.x == 1').evaluate(null as unknown as Record<string, unknown>), false);
  assert.equal(ev('task.type.length > 0', { type: 'abc' }), false, 'strings have no fields');
});

test('type mismatches compare false and never throw', () => {
  const task = { n: 5, s: '5', b: true, z: null, o: { a: 1 }, l: [1], nan: NaN, big: 10n, f: () => 1 };
  const falses = [
    'task.n == task.s',
    'task.s < 10',
    'task.n < task.s',
    "task.n > '4'",
    'task.b > false',
    'task.b >= true',
    'task.z < 1',
    'task.z >= 0',
    'task.o < task.o',
    'task.l <= task.l',
    'task.nan == task.nan',
    'task.nan < 1',
    'task.nan >= task.nan',
    'task.big > 1',
    'task.big == 10',
    'task.f == 1',
    'task.f < 2',
    "task.o == 'a'",
    'task.l == 1',
    'task.n in [task.s]',
  ];
  for (const source of falses) assert.equal(ev(source, task), false, source);
  assert.equal(ev('task.nan != task.nan', task), true, 'strict inequality');
  assert.equal(ev('task.o == task.o', task), true, 'the same object is strictly equal to itself');
  assert.equal(ev('task.o', task), true, 'a bare object is truthy');
  assert.equal(ev('task.nan OR task.z', task), false, 'NaN and null are falsy');
  assert.equal(ev("task.s AND 'x'", task), true, 'non-empty strings are truthy');
  assert.equal(ev('task.n == 0 OR 0', task), false);
});

test('identifiers are the distinct paths, in order; roots are configurable', () => {
  const e = compileExpr('task.b == 1 OR task.a == 2 AND task.b != task.c.d');
  assert.deepEqual(e.identifiers, ['task.b', 'task.a', 'task.c.d']);
  assert.deepEqual(compileExpr('true').identifiers, []);

  const multi = compileExpr("user.tier == 'pro' AND task.tokens > 10", { roots: ['task', 'user'] });
  assert.deepEqual(multi.identifiers, ['user.tier', 'task.tokens']);
  assert.equal(multi.evaluate({ user: { tier: 'pro' }, task: { tokens: 11 } }), true);
  assert.equal(multi.evaluate({ user: { tier: 'free' }, task: { tokens: 11 } }), false);
  refuses("user.tier == 'pro'", 0, /unknown identifier "user" \(a path starts with task\)/);
  assert.throws(() => compileExpr('x', { roots: ['__proto__'] }), TypeError);
  assert.throws(() => compileExpr('x', { roots: ['and'] }), TypeError);
  assert.throws(() => compileExpr('x', { roots: ['a.b'] }), TypeError);
});

test('malformed rules are refused with what was expected and where', () => {
  const cases: Array<[string, number, RegExp]> = [
    ["task.type == 'classification", 13, /^unterminated string \(no closing '\) starting/],
    ['task.type == "x', 13, /unterminated string \(no closing "\)/],
    ["task.s == 'ends in backslash\\", 10, /unterminated string/],
    ['task.type ==', 12, /^expected a value after "==" but found end of expression at column 13$/],
    ["task.type == 'a' AND", 20, /expected a value after "AND" but found end of expression/],
    ['task.a OR', 9, /expected a value after "OR"/],
    ['NOT', 3, /expected a value after "NOT"/],
    ['task.a < AND task.b', 9, /expected a value after "<" but found "AND"/],
    ['process.env.HOME == "x"', 0, /^unknown identifier "process"/],
    ['task.__proto__.polluted == 1', 5, /"__proto__" is not allowed in a path/],
    ['task.constructor == 1', 5, /"constructor" is not allowed/],
    ['task.a.prototype', 7, /"prototype" is not allowed/],
    ['task.x() == 1', 6, /^function calls are not supported: unexpected "\(" after "task.x"/],
    ['task.x (1)', 7, /function calls are not supported/],
    ["task.x['y'] == 1", 6, /indexing is not supported/],
    ["task.type = 'a'", 10, /unexpected character "=" \(use "==" to compare\)/],
    ['task.n === 1', 9, /unexpected character "="/],
    ['', 0, /^empty expression/],
    ['  \n ', 4, /^empty expression/],
    ['task.n == 1 ; task.m', 12, /^unexpected character ";"/],
    ['task.n + 1 > 2', 7, /unexpected character "\+"/],
    ['$task', 0, /unexpected character "\$"/],
    ['task.a ? 1 : 2', 7, /unexpected character "\?"/],
    ['task.a & task.b', 7, /use "&&" or AND/],
    ['task.a | task.b', 7, /use "\|\|" or OR/],
    ['task.n == `x`', 10, /unexpected character "`"/],
    ['(task.n == 1', 12, /expected "\)" to close the "\(" at column 1 but found end of expression/],
    ['task.n == 1)', 11, /unexpected "\)" with no matching "\("/],
    ['task.n == 1 == 2', 12, /comparisons cannot be chained/],
    ['1 < task.n < 3', 11, /comparisons cannot be chained/],
    [
      'task.n task.m',
      7,
      /expected AND, OR, a comparison or the end of the expression after "task.n" but found "task.m"/,
    ],
    ['task.n == [1]', 10, /a list is only allowed after "in"/],
    ['[1] == task.n', 0, /a list is only allowed after "in"/],
    ["task.t in 'abc'", 10, /expected a list such as \['a', 'b'\] or a path after "in"/],
    ['task.t in []', 11, /expected a value after "\[" but found "\]"/],
    ['task.t in [1,]', 13, /expected a value after "," but found "\]"/],
    ['task.t in [1 2]', 13, /expected "," or "\]" in the list opened at column 11 but found "2"/],
    ['task.t in [1', 12, /expected "," or "\]" in the list opened at column 11 but found end of expression/],
    ['task.t in [[1]]', 11, /lists cannot be nested/],
    ['task.', 5, /expected a field name after "task\."/],
    ['task..a', 5, /expected a field name/],
    ['task.1 == 1', 5, /expected a field name/],
    ["task.s == 'a\\q'", 12, /unknown escape "\\q"/],
    ['task.n == 1.', 10, /malformed number "1\."/],
    ['task.n == 12abc', 10, /malformed number "12abc"/],
    ['task.n == 1e999', 10, /number 1e999 is out of range/],
    ["eval('1')", 0, /unknown identifier "eval"/],
    ['and == 1', 0, /expected a value but found "and"/],
  ];
  for (const [source, position, message] of cases) refuses(source, position, message);
});

test('depth and length are bounded at compile time', () => {
  const parens = (n: number) => `${'('.repeat(n)}task.a${')'.repeat(n)}`;
  assert.equal(compileExpr(parens(MAX_EXPR_DEPTH)).evaluate({ task: { a: true } }), true, '32 levels are fine');
  refuses(parens(MAX_EXPR_DEPTH + 1), MAX_EXPR_DEPTH, /expression nests more than 32 levels deep/);
  assert.equal(compileExpr(`${'NOT '.repeat(MAX_EXPR_DEPTH)}task.a`).evaluate({ task: { a: true } }), true);
  refuses(`${'NOT '.repeat(MAX_EXPR_DEPTH + 1)}task.a`, 4 * MAX_EXPR_DEPTH, /nests more than 32 levels/);
  refuses(`${'!'.repeat(MAX_EXPR_DEPTH + 1)}task.a`, MAX_EXPR_DEPTH, /nests more than 32 levels/);
  // Parentheses, NOT and lists count together.
  refuses(`${'('.repeat(16)}${'!'.repeat(16)}task.a in [1]${')'.repeat(16)}`, 42, /nests more than 32 levels/);
  // Long flat chains do not nest.
  assert.equal(
    compileExpr(Array.from({ length: 45 }, (_, i) => `task.a${i} == ${i}`).join(' OR ')).identifiers.length,
    45,
  );

  const sized = (n: number) => `task.s == '${'a'.repeat(n - 12)}'`;
  assert.equal(sized(MAX_EXPR_LENGTH).length, MAX_EXPR_LENGTH);
  assert.equal(compileExpr(sized(MAX_EXPR_LENGTH)).evaluate({ task: { s: 'a'.repeat(MAX_EXPR_LENGTH - 12) } }), true);
  refuses(
    sized(MAX_EXPR_LENGTH + 1),
    MAX_EXPR_LENGTH,
    /expression is 1001 characters long, more than the limit of 1000/,
  );
  refuses('x'.repeat(100_000), MAX_EXPR_LENGTH, /100000 characters long/);
});

test('evaluation reads own data properties only: no getters, proxies or prototypes', () => {
  let calls = 0;
  const task = Object.create({ inherited: 'classification', type: 'from-proto' }) as Record<string, unknown>;
  Object.defineProperty(task, 'lazy', {
    enumerable: true,
    get: () => {
      calls++;
      return 'classification';
    },
  });
  task.plain = 'classification';
  task.proxy = new Proxy(
    { type: 'x' },
    {
      get: () => {
        calls++;
        return 'x';
      },
      getOwnPropertyDescriptor: () => {
        calls++;
        return undefined;
      },
    },
  );
  task.list = new Proxy(['x'], {
    get: () => {
      calls++;
      return 'x';
    },
  });
  const withGetterElement = ['y'];
  Object.defineProperty(withGetterElement, 0, {
    enumerable: true,
    get: () => {
      calls++;
      return 'x';
    },
  });
  task.getterList = withGetterElement;
  task.boxed = {
    valueOf: () => {
      calls++;
      return 1;
    },
    toString: () => {
      calls++;
      return '1';
    },
  };

  assert.equal(ev("task.plain == 'classification'", task), true);
  assert.equal(ev("task.inherited == 'classification'", task), false, 'prototype properties are not read');
  assert.equal(ev("task.type == 'from-proto'", task), false);
  assert.equal(ev("task.lazy == 'classification'", task), false, 'getters are not run');
  assert.equal(ev("task.proxy.type == 'x'", task), false, 'proxy traps are not run');
  assert.equal(ev("'x' in task.list", task), false);
  assert.equal(ev("'x' in task.getterList", task), false);
  assert.equal(ev('task.boxed == 1 OR task.boxed > 0 OR task.boxed < 2', task), false, 'no valueOf/toString coercion');
  assert.equal(ev('task.boxed', task), true);
  assert.equal(ev('task.toString OR task.hasOwnProperty OR task.valueOf', {}), false, 'Object.prototype is invisible');
  assert.equal(
    compileExpr('task.a == 1').evaluate(Object.create({ task: { a: 1 } }) as Record<string, unknown>),
    false,
    'the scope too',
  );
  assert.equal(calls, 0, 'nothing in the scope was called');

  // Own __proto__ keys (as JSON.parse makes them) cannot even be named.
  const parsed = JSON.parse('{"__proto__": {"admin": true}}') as Record<string, unknown>;
  assert.ok(Object.hasOwn(parsed, '__proto__'));
  assert.throws(() => compileExpr('task.__proto__.admin'), ExprError);
});

test('the evaluator contains no dynamic code', () => {
  // Comments are prose ("start with (…)"); only code is checked. (A `with` statement would not even parse in an ES module.)
  const src = readFileSync(new URL('./expr.ts', import.meta.url), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  for (const banned of [
    /\beval\s*\(/,
    /\bFunction\s*\(/,
    /new\s+Function\b/,
    /\bwith\s*\(/,
    /\bimport\s*\(/,
    /\brequire\s*\(/,
    /\bsetTimeout\b|\bsetInterval\b/,
  ]) {
    assert.doesNotMatch(src, banned);
  }
  assert.match(src, /Object\.getOwnPropertyDescriptor/, 'property reads go through descriptors');
});

test('property: 10,000 random scopes never make evaluation throw, and the logic is lawful', () => {
  // mulberry32: a seeded generator, so a failure reproduces.
  let seed = 0x5eed;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let calls = 0;
  const trap = () => {
    calls++;
    return undefined;
  };
  const leaves: Array<() => unknown> = [
    () => undefined,
    () => null,
    () => true,
    () => false,
    () => 0,
    () => -0,
    () => NaN,
    () => Infinity,
    () => -Infinity,
    () => Math.floor(rand() * 3000) - 500,
    () => rand(),
    () => 10n,
    () => Symbol('s'),
    () => '',
    () => 'low',
    () => 'LOW',
    () => 'classification',
    () => 'routing',
    () => '1000',
    () => 'x'.repeat(Math.floor(rand() * 5)),
    () => [],
    () => ['classification', 1, null],
    () => () => {
      calls++;
    },
    () => new Date(0),
    () => /re/,
    () => new Map([['type', 'x']]),
    () => Object.create(null),
    () =>
      new Proxy(
        {},
        {
          get: trap,
          getOwnPropertyDescriptor: trap,
          has: () => {
            calls++;
            return false;
          },
          ownKeys: () => {
            calls++;
            return [];
          },
        },
      ),
    () => {
      const o = {};
      Object.defineProperty(o, 'type', {
        enumerable: true,
        get: () => {
          calls++;
          return 'classification';
        },
      });
      return o;
    },
  ];
  const fields = ['type', 'input_tokens', 'complexity', 'requires_reasoning', 'a', 'b', 'list', 'nested'];
  const value = (depth: number): unknown => {
    if (depth > 0 && rand() < 0.3) {
      const o: Record<string, unknown> =
        rand() < 0.2 ? (Object.create({ type: 'classification' }) as Record<string, unknown>) : {};
      for (const f of fields) if (rand() < 0.5) o[f] = value(depth - 1);
      return rand() < 0.1 ? [o, value(depth - 1)] : o;
    }
    return pick(leaves)();
  };
  const exprs = [
    "task.type == 'classification'",
    "task.input_tokens < 1000 AND task.complexity == 'low'",
    'task.requires_reasoning == true',
    'task.a != task.b OR task.a <= task.b',
    "task.nested.nested.type in ['classification', 'routing', null] AND NOT task.a",
    'task.type in task.list OR task.a in task.nested.list',
    "task.input_tokens >= 1000 || task.complexity > 'l' && !(task.b < task.a)",
    'task.nested.a.b.c',
    'task.a == null OR task.b != null',
  ].map((s) => compileExpr(s));
  const negated = exprs.map((e) => compileExpr(`NOT (${e.source})`));
  const [r0, r1] = [exprs[0]!, exprs[1]!];
  const both = compileExpr(`(${r0.source}) AND (${r1.source})`);
  const deMorgan = compileExpr(`NOT ((${r0.source}) OR (${r1.source}))`);

  let truths = 0;
  for (let i = 0; i < 10_000; i++) {
    const scope: Record<string, unknown> = { task: value(3) };
    for (const [k, e] of exprs.entries()) {
      let got: unknown;
      assert.doesNotThrow(() => {
        got = e.evaluate(scope);
      }, `${e.source} on scope #${i}`);
      assert.equal(typeof got, 'boolean');
      assert.equal(negated[k]!.evaluate(scope), !got, `NOT (${e.source}) on scope #${i}`);
      if (got) truths++;
    }
    assert.equal(both.evaluate(scope), r0.evaluate(scope) && r1.evaluate(scope));
    assert.equal(deMorgan.evaluate(scope), !r0.evaluate(scope) && !r1.evaluate(scope));
  }
  assert.equal(calls, 0, 'no getter, proxy trap or function in a scope was ever run');
  assert.ok(truths > 1000 && truths < 80_000, `the random scopes exercise both outcomes (${truths} true of 90,000)`);
});
