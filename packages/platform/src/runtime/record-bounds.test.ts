import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redactor } from '../secrets/redactor.ts';
import { boundError, boundOutcome, capText, LogBudget } from './record-bounds.ts';

const r = new Redactor([{ name: 'API_KEY', value: 'sk-live-0123456789' }]);

describe('record bounds', () => {
  it('cuts past the limit, in UTF-8 bytes, saying the size it had', () => {
    assert.equal(capText('short', 100, r), 'short');
    const cut = capText('é'.repeat(100), 51, Redactor.NONE);
    assert.equal(cut, `${'é'.repeat(25)}… [truncated, 200 bytes]`, 'no character cut in half');
  });

  it('a cut never leaves half a secret: the text is scrubbed before it is cut', () => {
    const text = `${'a'.repeat(95)}sk-live-0123456789${'b'.repeat(200)}`;
    const cut = capText(text, 100, r);
    assert.ok(!cut.includes('sk-live'), cut);
    assert.ok(cut.endsWith('… [truncated, 313 bytes]'), cut);
  });

  it('log entries: each cut, all within 500 entries, then a note', () => {
    const budget = new LogBudget(r);
    const first = budget.admit({
      level: 'info',
      msg: 'key sk-live-0123456789',
      fields: { k: 'sk-live-0123456789' },
      source: 'handler',
    });
    assert.deepEqual(first, {
      level: 'info',
      msg: 'key [secret:API_KEY]',
      fields: { k: '[secret:API_KEY]' },
      source: 'handler',
    });
    for (let i = 1; i < 600; i++) budget.admit({ level: 'info', msg: 'x', source: 'handler' });
    assert.equal(budget.entries, 500);
    assert.match(budget.note()!.msg, /^\[truncated: 100 more log entries/);
  });

  it('errors: message, stack and details each cut and scrubbed', () => {
    const e = boundError(
      {
        code: 'HANDLER_ERROR',
        message: `boom sk-live-0123456789 ${'m'.repeat(10_000)}`,
        details: { stack: 's'.repeat(20_000), other: 'sk-live-0123456789' },
      },
      r,
    );
    assert.match(e.message, /^boom \[secret:API_KEY\] m+… \[truncated, 10,024 bytes\]$/);
    assert.match(String(e.details!.stack), /… \[truncated, 20,000 bytes\]$/);
    assert.equal(e.details!.other, '[secret:API_KEY]');
  });

  it('a result over 1 MiB fails the execution; a smaller one is scrubbed', () => {
    const big = boundOutcome({ ok: true, result: { success: true, message: 'x'.repeat(2 * 1024 * 1024) } }, r);
    assert.equal(big.ok, false);
    assert.match(
      (big as { error: { message: string } }).error.message,
      /^the handler returned a result of 2,097,1\d\d bytes \(JSON\); at most 1,048,576 are recorded and returned$/,
    );
    assert.deepEqual(
      boundOutcome({ ok: true, result: { success: true, message: 'sk-live-0123456789' }, bytes: 80 }, r),
      { ok: true, result: { success: true, message: '[secret:API_KEY]' } },
    );
  });
});
