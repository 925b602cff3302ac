import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSkillMd } from '../src/index.ts';

test('Agent Skills frontmatter parses and the body is kept', () => {
  const r = parseSkillMd(
    '---\nname: my-tickets\ndescription: Shows my queue.\nlicense: MIT\nmetadata:\n  author: ecm-ops\nallowed-tools: Read Bash\n---\n# My tickets\nDo things.\n',
  );
  assert.deepEqual(r.issues, []);
  assert.equal(r.value!.frontmatter.name, 'my-tickets');
  assert.equal(r.value!.frontmatter['allowed-tools'], 'Read Bash');
  assert.equal(r.value!.body, '# My tickets\nDo things.\n');
});

test('platform fields in the frontmatter are refused with a pointer to aspora.config.yaml', () => {
  const r = parseSkillMd('---\nname: x\ndescription: y\nversion: 1.0.0\n---\nbody');
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]!.line, 4, 'line numbers count the opening --- line');
  assert.equal(r.issues[0]!.path, 'version');
  assert.match(r.issues[0]!.hint!, /aspora\.config\.yaml/);
});

test('names are 1–64 lowercase characters and descriptions at most 1024', () => {
  const r = parseSkillMd(`---\nname: My_Skill\ndescription: ${'x'.repeat(1025)}\n---\n`);
  assert.deepEqual(r.issues.map((i) => i.path).sort(), ['description', 'name']);
});

test('a file without frontmatter says how to start one', () => {
  const r = parseSkillMd('# just markdown');
  assert.equal(r.value, undefined);
  assert.match(r.issues[0]!.hint!, /---/);
});

test('a YAML alias bomb in the frontmatter is an issue naming SKILL.md and the line', () => {
  const lines = [
    '---',
    'name: x',
    'description: y',
    'metadata:',
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ];
  for (let i = 1; i < 9; i++)
    lines.push(
      `  ${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  const r = parseSkillMd(`${lines.join('\n')}\n---\nbody`, 'SKILL.md');
  assert.equal(r.value, undefined);
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]!.file, 'SKILL.md');
  assert.equal(r.issues[0]!.line, 6, 'the first alias, counting the opening --- line');
  assert.match(r.issues[0]!.message, /aliases expand too much/);
});
