/** Text shown to every caller names no skill the caller may not see (e.g. a platform-wide alert's title). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactRefs } from './skill-access.ts';

test('a hidden ref is replaced wherever it appears whole, and nothing else is', () => {
  const title = 'platform: p95 latency of fraud/ledger, the slowest busy skill, 9 s > 5 s (fraud/ledger)';
  assert.equal(
    redactRefs(title, ['fraud/ledger']),
    'platform: p95 latency of a skill you may not see, the slowest busy skill, 9 s > 5 s (a skill you may not see)',
  );
  // Not inside a longer ref, nor a ref inside a longer path.
  assert.equal(redactRefs('fraud/ledger-v2 is slow', ['fraud/ledger']), 'fraud/ledger-v2 is slow');
  assert.equal(redactRefs('x/fraud/ledger is slow', ['fraud/ledger']), 'x/fraud/ledger is slow');
  // The longest first: fraud/a inside fraud/a-b is left to fraud/a-b's own replacement.
  assert.equal(
    redactRefs('fraud/a-b and fraud/a', ['fraud/a', 'fraud/a-b']),
    'a skill you may not see and a skill you may not see',
  );
  // Characters a regular expression would read are matched as they are.
  assert.equal(redactRefs('d/a.b and d/axb', ['d/a.b']), 'a skill you may not see and d/axb');
  assert.equal(redactRefs('nothing hidden', []), 'nothing hidden');
});
