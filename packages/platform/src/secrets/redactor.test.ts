import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redactor } from './redactor.ts';
import { SecretVault } from './secrets.ts';

describe('redactor', () => {
  const r = new Redactor([
    { name: 'API_KEY', value: 'sk-live-0123456789' },
    { name: 'QUOTED', value: 'p"ss\\wörd-long' },
    { name: 'PIN', value: 'mine' },
  ]);

  it('replaces a value wherever it appears, with a marker naming it', () => {
    assert.equal(
      r.text('key=sk-live-0123456789; again:sk-live-0123456789x'),
      'key=[secret:API_KEY]; again:[secret:API_KEY]x',
    );
  });

  it('matches the JSON-escaped and ASCII-escaped forms a handler that prints JSON writes', () => {
    const json = JSON.stringify({ q: 'p"ss\\wörd-long' });
    assert.equal(r.text(json), '{"q":"[secret:QUOTED]"}');
    const ascii = json.replace(/ö/g, '\\u00f6');
    assert.equal(r.text(ascii), '{"q":"[secret:QUOTED]"}');
  });

  it('matches a value shorter than 8 characters only as a whole token', () => {
    assert.equal(r.text('pin=mine, determine, mine.'), 'pin=[secret:PIN], determine, [secret:PIN].');
  });

  it('scrubs strings and keys of a value, in a copy', () => {
    const v = { a: ['sk-live-0123456789'], 'sk-live-0123456789': { n: 1, pin: 'mine' } };
    assert.deepEqual(r.value(v), { a: ['[secret:API_KEY]'], '[secret:API_KEY]': { n: 1, pin: '[secret:PIN]' } });
    assert.equal(v.a[0], 'sk-live-0123456789', 'the original is untouched');
  });

  it('never matches the empty value; a marker is never matched again', () => {
    const s = new Redactor([
      { name: 'EMPTY', value: '' },
      { name: 'WORD', value: 'secret' },
      { name: 'LONG', value: 'long-value-123' },
    ]);
    assert.equal(s.text('a secret here, long-value-123'), 'a [secret:WORD] here, [secret:LONG]');
    assert.equal(Redactor.NONE.text('anything'), 'anything');
  });
});

describe('secrets vault', () => {
  it("never hands the platform's own credentials to a handler, even when declared", () => {
    const vault = new SecretVault(
      { API_TOKEN: { value: 'platform-cred' }, MINE: { value: 'skill-secret' } },
      {},
      {},
      new Set(['API_TOKEN']),
    );
    assert.deepEqual(vault.pick(['API_TOKEN', 'MINE']), { MINE: 'skill-secret' });
    assert.deepEqual(vault.withFixed({ OTHER: 'x' }).pick(['API_TOKEN']), {}, 'fixed values keep the rule');
    assert.deepEqual(vault.reservedValues(), [{ name: 'API_TOKEN', value: 'platform-cred' }]);
  });
});
