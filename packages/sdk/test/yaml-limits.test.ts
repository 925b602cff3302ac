/**
 * aspora.config.yaml and SKILL.md frontmatter come from skill authors and are parsed on the
 * platform's event loop: what a document can cost (size, nesting, aliases, keys) and what its
 * problems can grow into (issues) is bounded. Found by the fuzzer (test/fuzz).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SkillConfigSchema, validateYaml } from '../src/index.ts';
import { YAML_LIMITS } from '../src/yaml/limits.ts';

const check = (text: string) => validateYaml(SkillConfigSchema, text, 'aspora.config.yaml');

test('YAML nested past the limit is an issue, found without recursing, and the process survives doing it again', () => {
  // A stack overflow inside the yaml parser, caught once, made V8 abort the whole process on the
  // next deep document ("RegExpCompiler Allocation failed"): run it where an abort cannot take the suite.
  const script = `
    import { SkillConfigSchema, validateYaml } from ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))};
    const docs = ['['.repeat(20000), '['.repeat(5000) + ']'.repeat(5000), 'x:\\n  ' + '- '.repeat(5000) + 'y', 'x:\\n  ' + '- '.repeat(5000) + 'y', Array.from({ length: 500 }, (_, i) => ' '.repeat(i) + 'a:').join('\\n'), 'x: ' + '{a: '.repeat(3000) + '1' + '}'.repeat(3000), 'x: '.repeat(7000), '[' + 'a: '.repeat(7000) + ']'];
    const out = [];
    for (let round = 0; round < 2; round++) for (const d of docs) out.push(validateYaml(SkillConfigSchema, d, 'f').issues.map((i) => i.message).join(' | '));
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `the process ended with ${r.status ?? r.signal}: ${r.stderr.slice(-2000)}`);
  const messages = JSON.parse(r.stdout) as string[];
  assert.equal(messages.length, 16);
  for (const m of messages) assert.match(m, new RegExp(`nested more than ${YAML_LIMITS.maxDepth} levels deep`));
});

test('ordinary nesting is not refused', () => {
  const r = check(
    'skill:\n  name: a\n  domain: b\n  version: 1.0.0\n  description: d\nruntime:\n  language: typescript\n  entry_point: code/handler.ts\ntriggers:\n  - type: alert\n    sources: [webhook]\n    filters: {severity: [critical, high]}\nowner_team: t\n',
  );
  assert.deepEqual(r.issues, []);
});

test('an alias bomb is an issue at the alias, not an exception', () => {
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'skill: *c',
  ].join('\n');
  const r = check(bomb);
  assert.equal(r.issues.length, 1);
  assert.match(r.issues[0]!.message, /aliases expand/);
  assert.equal(r.issues[0]!.line, 2);
});

test('a document larger than the limit is refused without being parsed', () => {
  const r = check(`skill:\n  description: "${'x'.repeat(YAML_LIMITS.maxChars)}"\n`);
  assert.equal(r.issues.length, 1);
  assert.match(r.issues[0]!.message, /larger than/);
  assert.match(r.issues[0]!.hint!, /KiB/);
});

test('many distinct keys parse in linear time; duplicates are still found where they are', () => {
  // The parser's pairwise uniqueKeys check, then positioning every unknown key in its map: 12 000 keys took ~10 s of the event loop.
  const many = `skill:\n${Array.from({ length: 12_000 }, (_, i) => `  k${i.toString(36)}: 1`).join('\n')}\n`;
  // As many tokens without keys to compare: what a linear parse of this size costs on this machine now.
  const sameSize = `skill:\n${Array.from({ length: 12_000 }, (_, i) => `  - k${i.toString(36)} 1`).join('\n')}\n`;
  assert.ok(many.length < YAML_LIMITS.maxChars);
  const timed = (t: string) => {
    const t0 = process.hrtime.bigint();
    const out = check(t);
    return { out, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  };
  timed(sameSize); // warm the parser up
  const base = timed(sameSize).ms;
  const { out: r, ms } = timed(many);
  assert.ok(
    ms < 4 * base + 1000,
    `${Math.round(ms)} ms for 12 000 keys, ${Math.round(base)} ms for as many list items`,
  );
  assert.equal(r.issues.length, YAML_LIMITS.maxIssues + 1);
  assert.match(r.issues.at(-1)!.message, /^11\d{3} more problems not shown$/);

  const dup = check('skill:\n  name: a\n  name: b\nruntime: {language: go, language: go}\n');
  assert.deepEqual(
    dup.issues.map((i) => [i.line, i.message]),
    [
      [3, 'YAML syntax: Map keys must be unique; "name" is repeated'],
      [4, 'YAML syntax: Map keys must be unique; "language" is repeated'],
    ],
  );
  assert.equal(dup.issues[0]!.hint, 'remove one of the duplicate keys');
});

test('issues are bounded in number and length, however many problems the document has', () => {
  const errors = check('- x\ny: 1\n'.repeat(3000));
  assert.ok(errors.issues.length <= YAML_LIMITS.maxIssues + 1, `${errors.issues.length} issues`);
  assert.match(errors.issues.at(-1)!.message, /more problems? not shown/);

  const long = check(
    `skill:\n  name: a\n  domain: b\n  version: 1.0.0\n  description: d\nruntime:\n  language: "${'typescript'.repeat(5000)}"\n  entry_point: code/handler.ts\nowner_team: t\n${'x'.repeat(1000)}: 1\n`,
  );
  assert.ok(long.issues.length >= 2);
  for (const i of long.issues)
    assert.ok(i.message.length <= 300 && (i.hint ?? '').length <= 300, JSON.stringify(i).slice(0, 400));
});

test("a document's oddities do not reach the process's warnings (the platform's stderr)", async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    check(`{ ${Array.from({ length: 20 }, (_, i) => `? [forged log line ${i}] : x`).join(', ')} }`);
    await new Promise((r) => setImmediate(r)); // process warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, []);
});
