import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterWords, channelKind, normalize, slashName } from './patterns.ts';

test('a channel’s kind is the part before the colon, lowercased; none is api', () => {
  assert.equal(channelKind('slack:C0123'), 'slack');
  assert.equal(channelKind('Web'), 'web');
  assert.equal(channelKind(undefined), 'api');
  assert.equal(channelKind(''), 'api');
  assert.equal(channelKind(':x'), 'api');
});

test('a command’s arguments are the text after its words, as written', () => {
  assert.equal(afterWords('@ecm-manager assign 5 tickets to Dinesh', 2), '5 tickets to Dinesh');
  assert.equal(afterWords('@ECM-Manager Assign: Case-7, P1', 2), 'Case-7, P1');
  assert.equal(afterWords('  reassign   tickets  ', 2), '');
  // Punctuation-only "words" are not words for normalize, so not for the count either.
  assert.equal(afterWords('run -- triage now', 2), 'now');
  // Full-width letters are folded (NFKC) as normalize folds them.
  assert.equal(afterWords('ＲＵＮ triage ＡＢＣ', 2), 'ABC');
  assert.equal(normalize('ＲＵＮ triage'), ' run triage ');
});

test('a long hostile text is matched and cut in linear time', () => {
  const text = `run triage ${'a-'.repeat(2000)}${'<@U1> '.repeat(300)}`;
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) afterWords(text, 2);
  assert.ok(performance.now() - t0 < 1000, 'bounded');
  assert.ok(afterWords(text, 2).startsWith('a-a-'));
});

test('a slash command’s name is compared lowercase, and only a name is one', () => {
  assert.equal(slashName('/ECM-Dashboard'), '/ecm-dashboard');
  assert.equal(slashName(' /ecm '), '/ecm');
  for (const bad of [undefined, '', '/', 'ecm', '/ecm dashboard', '/ecm/x', `/${'a'.repeat(64)}`])
    assert.equal(slashName(bad), undefined, String(bad));
});
