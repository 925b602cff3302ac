import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SkillConfigSchema, validateYaml, parseDurationMs, parseSizeMb } from '../src/index.ts';

const fixture = (n: string) => readFileSync(new URL(`./fixtures/reference-configs/${n}.yaml`, import.meta.url), 'utf8');
const check = (text: string) => validateYaml(SkillConfigSchema, text, 'aspora.config.yaml');

const minimal = `skill:
  name: hello
  domain: demo
  version: 1.0.0
  description: Says hello.
runtime:
  language: typescript
  entry_point: code/handler.ts
owner_team: demo-team
`;

test('the three reference configs (fraud, ECM manager, ECM field) validate as written', () => {
  for (const name of ['block-transaction', 'triage-and-assign', 'my-tickets']) {
    const r = check(fixture(name));
    assert.deepEqual(r.issues, [], name);
    assert.equal(r.value?.skill.name, name);
  }
  const triage = check(fixture('triage-and-assign')).value!;
  assert.equal(triage.skill.role, 'manager');
  assert.deepEqual(triage.permissions?.blocked_resources, ['../shared/runbooks/', '../field/**']);
  assert.equal(triage.monitoring?.custom_metrics?.[0]?.name, 'orders_triaged');
  const mine = check(fixture('my-tickets')).value!;
  assert.equal(mine.permissions?.sheets_access?.agents_tab?.write, 'none');
});

test('defaults are applied to a minimal config', () => {
  const r = check(minimal);
  assert.deepEqual(r.issues, []);
  assert.equal(r.value!.runtime.timeout, '30s');
  assert.equal(r.value!.runtime.memory, '512MB');
  assert.equal(r.value!.runtime.cpu, 0.5);
  assert.equal(r.value!.visibility, 'internal');
});

test('every problem is reported at once with line, column, path and a hint', () => {
  const bad = `skill:
  name: hello
  domian: demo
  version: one
  description: Says hello.
runtime:
  language: typscript
  entry_point: code/handler.ts
  timeout: 30 seconds
  memory: lots
triggers:
  - type: mesage
    patterns: [hi]
  - type: cron
    schedule: "61 * * * *"
    timezone: Mars/Olympus
permissions:
  tools: [read]
  secrets: [api_key]
  shared_resources: [/etc/passwd]
model:
  primary: "not a model!"
owner_team: demo-team
visibilty: internal
`;
  const r = check(bad);
  const by = (path: string) => r.issues.find((i) => i.path === path);
  const expect = (path: string, line: number, hint?: RegExp) => {
    const i = by(path);
    assert.ok(i, `expected an issue at ${path}; got ${r.issues.map((x) => x.path).join(', ')}`);
    assert.equal(i.line, line, `${path} line`);
    assert.equal(i.file, 'aspora.config.yaml');
    assert.ok(typeof i.column === 'number' && i.column > 0);
    if (hint) assert.match(i.hint ?? '', hint, path);
  };
  expect('skill.domian', 3, /did you mean "domain"/);
  expect('skill.domain', 1, /add skill\.domain/);
  expect('skill.version', 4);
  expect('runtime.language', 7, /did you mean "typescript"/);
  expect('runtime.timeout', 9);
  expect('runtime.memory', 10);
  expect('triggers[0].type', 12, /did you mean "message"/);
  expect('triggers[1].schedule', 15);
  expect('triggers[1].timezone', 16);
  expect('permissions.tools[0]', 18, /did you mean "Read"/);
  expect('permissions.secrets[0]', 19);
  expect('permissions.shared_resources[0]', 20);
  expect('model.primary', 22);
  expect('visibilty', 24, /did you mean "visibility"/);
  assert.ok(r.issues.length >= 14);
  // Sorted by position so the CLI prints them in file order.
  const lines = r.issues.map((i) => i.line ?? 0);
  assert.deepEqual(
    lines,
    [...lines].sort((a, b) => a - b),
  );
});

test('an unknown key without a near match lists the allowed keys', () => {
  const r = check(`${minimal}flavour: vanilla\n`);
  assert.equal(r.issues.length, 1);
  assert.match(r.issues[0]!.hint!, /allowed here: skill, runtime, model/);
});

test('broken YAML is reported with its position and nothing else is guessed', () => {
  const r = check('skill:\n  name: [unclosed\nruntime: x\n');
  assert.ok(r.issues.length >= 1);
  assert.match(r.issues[0]!.message, /YAML syntax/);
  assert.equal(typeof r.issues[0]!.line, 'number');
  assert.equal(r.value, undefined);
});

test('duplicate keys are errors', () => {
  const r = check(`${minimal}owner_team: other\n`);
  assert.match(r.issues[0]!.message, /YAML syntax/);
  assert.match(r.issues[0]!.hint!, /duplicate/);
});

test('the entry point must match the language', () => {
  const r = check(minimal.replace('code/handler.ts', 'code/handler.py'));
  assert.equal(r.issues[0]!.path, 'runtime.entry_point');
  assert.match(r.issues[0]!.message, /typescript entry point must end in \.ts/);
});

test('an entry point outside the folder is refused', () => {
  const r = check(minimal.replace('code/handler.ts', '../other/handler.ts'));
  assert.equal(r.issues[0]!.path, 'runtime.entry_point');
});

test('a version written as a YAML number gets a quoting hint', () => {
  const r = check(minimal.replace('version: 1.0.0', 'version: 1.0'));
  assert.equal(r.issues[0]!.path, 'skill.version');
  assert.match(r.issues[0]!.hint!, /quotes/);
});

test('valid cron expressions, time zones, globs and provider model ids pass', () => {
  const r = check(`${minimal}triggers:
  - type: cron
    schedule: "*/15 9-17 * * 1-5"
    timezone: Asia/Dubai
  - type: alert
    sources: [datadog, pagerduty]
    filters:
      severity: [critical, high]
permissions:
  shared_resources: ["../shared/queries/", "../shared/config/*.yaml", "s3://aspora-skills/ecm/shared/runbooks/"]
  blocked_resources: ["../field/**"]
model:
  primary: anthropic/claude-sonnet-4-5-20250929
  fallback: google/gemini-2.0-flash-exp:free
`);
  assert.deepEqual(r.issues, []);
});

test('durations and sizes convert to the units the runtime caps in', () => {
  assert.equal(parseDurationMs('30s'), 30_000);
  assert.equal(parseDurationMs('2m'), 120_000);
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseSizeMb('512MB'), 512);
  assert.equal(parseSizeMb('2GB'), 2000);
  assert.equal(parseSizeMb('1Gi'), 1024);
});

/** Billion laughs: nine anchors, each a list of nine aliases of the one before (9^9 strings if expanded). */
const aliasBomb = (key = 'bomb'): string => {
  const lines = [`${key}:`, '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const p = String.fromCharCode(96 + i),
      n = String.fromCharCode(97 + i);
    lines.push(`  ${n}: &${n} [${Array(9).fill(`*${p}`).join(',')}]`);
  }
  return `${lines.join('\n')}\n`;
};

test('a YAML alias bomb is an issue at its line, not an exception', () => {
  const r = check(minimal + aliasBomb());
  assert.equal(r.value, undefined);
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]!.file, 'aspora.config.yaml');
  assert.match(r.issues[0]!.message, /aliases expand too much/);
  assert.equal(r.issues[0]!.line, 12, 'the first alias (*a) is on line 12');
});

test('an alias to its own parent (a cyclic value) and an alias to no anchor are issues', () => {
  const cyclic = check(`${minimal}permissions:\n  shared_resources: &loop [x, *loop]\n`);
  assert.equal(cyclic.value, undefined);
  assert.match(cyclic.issues[0]!.message, /alias \*loop refers to a node that contains it/);
  assert.equal(cyclic.issues[0]!.line, 11);
  const dangling = check(`${minimal}visibility: *nowhere\n`);
  assert.equal(dangling.value, undefined);
  assert.match(dangling.issues[0]!.message, /Unresolved alias/);
});

test('an ordinary anchor and alias still work', () => {
  const r = check(`${minimal}permissions:\n  shared_resources: &s ["../shared/queries/"]\n  blocked_resources: *s\n`);
  assert.deepEqual(r.issues, []);
  assert.deepEqual(r.value!.permissions?.blocked_resources, ['../shared/queries/']);
});

test('resource globs outside the linear-time grammar are refused at their line, with the field and a hint', () => {
  const r = check(`${minimal}permissions:
  shared_resources:
    - "shared/*(a*)*(a*)*(a*)*(a*)b"
    - "../shared/{queries,config}/"
    - "../shared/(a|b).sql"
    - "!../shared/secret/"
    - "../shared/[[:alpha:]]*"
    - "../shared/[a"
  blocked_resources:
    - "${'x'.repeat(513)}"
`);
  const by = (p: string) => r.issues.find((i) => i.path === p)!;
  assert.equal(r.issues.length, 7, JSON.stringify(r.issues));
  assert.deepEqual(
    { file: by('permissions.shared_resources[0]').file, line: by('permissions.shared_resources[0]').line },
    { file: 'aspora.config.yaml', line: 12 },
  );
  assert.match(by('permissions.shared_resources[0]').message, /extglobs .* are not allowed/);
  assert.ok(by('permissions.shared_resources[0]').hint);
  assert.match(by('permissions.shared_resources[1]').message, /braces/);
  assert.match(by('permissions.shared_resources[2]').message, /parentheses and \| are not allowed/);
  assert.match(by('permissions.shared_resources[3]').message, /leading ! \(negation\)/);
  assert.match(by('permissions.shared_resources[4]').message, /POSIX classes/);
  assert.match(by('permissions.shared_resources[5]').message, /unclosed \[/);
  assert.match(by('permissions.blocked_resources[0]').message, /longer than 512 characters/);
});

test('the accepted glob grammar: *, **, ?, classes, literal punctuation and *a*a*a…b patterns', () => {
  const r = check(`${minimal}permissions:
  shared_resources: ["../shared/queries/", "../shared/**/*.sql", "../shared/q?/[a-c]*.md", "../shared/[!_]*", "../shared/report [(]2[)].md", "shared/*a*a*a*a*a*a*b", "s3://bucket/ecm/shared/"]
`);
  assert.deepEqual(r.issues, []);
  const many = check(`${minimal}permissions:\n  blocked_resources: [${Array(201).fill('"x"').join(', ')}]\n`);
  assert.equal(many.issues[0]!.path, 'permissions.blocked_resources');
  assert.match(many.issues[0]!.hint!, /at most 200/);
});

test('an alert trigger’s callback: a URL or a prefix, only with source webhook and a secret', () => {
  const alert = (extra: string) =>
    check(`${minimal}triggers:
  - type: alert
    sources: [webhook]
${extra}`);
  assert.deepEqual(alert('    secret: HOOK\n    callback: https://hooks.example.com/aspora/*\n').issues, []);
  assert.deepEqual(alert('    secret: HOOK\n    callback: https://hooks.example.com/results\n').issues, []);
  const noSecret = alert('    callback: https://hooks.example.com/results\n').issues;
  assert.match(noSecret.map((i) => i.message).join(' '), /callback needs source webhook and a secret/);
  const creds = alert('    secret: HOOK\n    callback: https://user:pw@hooks.example.com/x\n').issues;
  assert.match(creds.map((i) => i.message).join(' '), /without credentials/);
  assert.notDeepEqual(alert('    secret: HOOK\n    callback: ftp://hooks.example.com/x\n').issues, []);
});
