import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSkillFiles, splitNegative, exampleRequests, requireValidSkill, AsporaError } from '../src/index.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const config = `skill:
  name: block-transaction
  domain: fraud
  version: 1.0.0
  description: >
    Blocks suspicious transactions and syncs with TRM.
    Use when fraud score > 0.8 or user flags transaction.
    Do NOT use for chargebacks or refund disputes.
runtime:
  language: typescript
  entry_point: code/handler.ts
triggers:
  - type: message
    patterns: ["fraud", "block this payment"]
owner_team: fraud-team
`;
const skillMd = `---
name: block-transaction
description: Blocks suspicious transactions. Do NOT use for chargebacks.
---
# Block transaction

## Example requests
- "block payment tx_123"
- freeze this card transaction

## Steps
- not an example
`;
function files(over: Record<string, string | null> = {}) {
  const base: Record<string, string | null> = {
    'aspora.config.yaml': config,
    'SKILL.md': skillMd,
    'DECISIONS.md': '# decisions',
    'GUARDRAILS.md': '# guardrails',
    'code/handler.ts': 'export const handler = async () => ({ success: true, message: "ok" });',
    'tests/unit/a.test.ts': '',
    ...over,
  };
  return new Map(
    Object.entries(base)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, enc(v!)]),
  );
}

test('a complete skill folder yields a manifest with runtime limits and search text', () => {
  const r = validateSkillFiles(files(), { folderName: 'block-transaction' });
  assert.deepEqual(r.issues, []);
  assert.deepEqual(r.warnings, []);
  const m = r.manifest!;
  assert.equal(m.ref, 'fraud/block-transaction');
  assert.equal(m.runtime.timeoutMs, 30_000);
  assert.equal(m.runtime.memoryMb, 512);
  assert.deepEqual(m.search.patterns, ['fraud', 'block this payment']);
  assert.deepEqual(m.search.examples, ['block payment tx_123', 'freeze this card transaction']);
  assert.doesNotMatch(m.search.description, /chargeback/i, 'the Do NOT part is not indexed as positive text');
  assert.match(m.search.negative, /chargebacks or refund disputes/);
});

test('all problems of a bundle are reported together', () => {
  const r = validateSkillFiles(
    files({
      'code/handler.ts': null,
      'SKILL.md': '---\nname: other-name\ndescription: x\n---\n',
      'DECISIONS.md': null,
    }),
    { folderName: 'block-transaction', displayRoot: 'skills/fraud/block-transaction' },
  );
  assert.equal(r.manifest, undefined);
  const msgs = r.issues.map((i) => `${i.file} ${i.path ?? ''} ${i.message}`);
  assert.ok(
    msgs.some((m) => m.includes('skills/fraud/block-transaction/aspora.config.yaml runtime.entry_point')),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) => m.includes('SKILL.md name "other-name" must equal the folder name')),
    msgs.join('\n'),
  );
  assert.equal(r.warnings[0]!.file, 'skills/fraud/block-transaction/DECISIONS.md');
});

test('a folder whose name differs from skill.name is refused', () => {
  const r = validateSkillFiles(files(), { folderName: 'block-tx' });
  assert.ok(r.issues.some((i) => i.path === 'skill.name' && /differs from the folder name/.test(i.message)));
});

test('missing config and SKILL.md are named', () => {
  const r = validateSkillFiles(new Map());
  assert.deepEqual(r.issues.map((i) => i.file).sort(), ['SKILL.md', 'aspora.config.yaml']);
});

test('non-UTF-8 config is an issue, not a crash', () => {
  const m = files();
  m.set('aspora.config.yaml', new Uint8Array([0xff, 0xfe, 0x00]));
  const r = validateSkillFiles(m);
  assert.match(r.issues[0]!.message, /UTF-8/);
});

test('requireValidSkill throws one typed error carrying every issue', () => {
  assert.throws(
    () => requireValidSkill(files({ 'code/handler.ts': null, 'SKILL.md': null })),
    (e: unknown) => e instanceof AsporaError && e.code === 'BUNDLE_INVALID' && e.issues.length === 2,
  );
});

test('negative clauses are split off in their usual spellings', () => {
  assert.deepEqual(
    splitNegative(
      'Shows my queue. Use when: "my tickets". Do NOT use for: triage/assignment (use manager/triage-and-assign)',
    ),
    {
      positive: 'Shows my queue. Use when: "my tickets".',
      negative: 'Do NOT use for: triage/assignment (use manager/triage-and-assign)',
    },
  );
  assert.equal(splitNegative("Plans goals. Don't use this for tax advice.").negative, "Don't use this for tax advice.");
  assert.equal(splitNegative('Handles refunds; not for: chargebacks').positive, 'Handles refunds;');
});

test('example requests come only from the Examples section', () => {
  assert.deepEqual(exampleRequests('## Examples\n* one\n\n## Other\n- two\n### Example requests\n- "three"\n'), [
    'one',
    'three',
  ]);
});
