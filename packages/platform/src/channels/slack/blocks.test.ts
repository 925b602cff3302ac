import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageAnswer } from '@aspora/api';
import { actionsOf, answerBlocks, decodeButton, encodeButton } from './blocks.ts';

const answer = (result: unknown, text = 'done'): MessageAnswer =>
  ({
    routed: { skill: 'ecm/triage', stage: 'pattern', reason: 'matches its pattern "triage"' },
    candidates: [],
    execution: { result } as MessageAnswer['execution'],
    text,
  }) as MessageAnswer;

test('an answer is a section, a context line naming the skill and why, and its buttons', () => {
  const m = answerBlocks(
    answer({ success: true, data: { actions: [{ id: 'override', text: 'Override', value: 'c-7' }] } }),
  );
  assert.equal(m.text, 'done');
  assert.deepEqual(m.blocks[0], { type: 'section', text: { type: 'mrkdwn', text: 'done' } });
  assert.deepEqual(m.blocks[1], {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: '*ecm/triage* · matches its pattern "triage"' }],
  });
  const [button] = (m.blocks[2] as { elements: Array<Record<string, any>> }).elements;
  assert.equal(button!.action_id, 'aspora:override');
  assert.deepEqual(decodeButton(button!.value), { skill: 'ecm/triage', id: 'override', value: 'c-7' });
});

test("a result's actions are bounded: malformed, duplicate and surplus ones are left out, long text cut", () => {
  const acts = actionsOf({
    actions: [
      { id: 'a', text: 'x'.repeat(200) },
      { id: 'a', text: 'duplicate' },
      { id: 'has space', text: 'bad id' },
      { id: 'b' },
      'not an object',
      { id: 'c', text: 'C', value: 7 },
      { id: 'd', text: 'D' },
      { id: 'e', text: 'E' },
    ],
  });
  assert.deepEqual(
    acts.map((a) => a.id),
    ['a'],
    'only the first five entries are looked at, and only well-formed ones kept',
  );
  assert.equal(acts[0]!.text.length, 75);
  assert.equal(actionsOf(null).length, 0);
  assert.equal(actionsOf({ actions: 'x' }).length, 0);
});

test('a long message is cut to a section, and a button whose value would not fit is left out', () => {
  const m = answerBlocks(
    answer(
      { success: true, data: { actions: [{ id: 'big', text: 'Big', value: 'v'.repeat(3000) }] } },
      'y'.repeat(5000),
    ),
  );
  assert.equal((m.blocks[0] as { text: { text: string } }).text.text.length, 3000);
  assert.equal(m.blocks.length, 2, 'no actions block');
});

test('a button value the platform did not make is refused', () => {
  assert.equal(decodeButton('not json'), null);
  assert.equal(decodeButton(JSON.stringify({ s: '../etc', i: 'x', v: '' })), null);
  assert.equal(decodeButton(JSON.stringify({ s: 'ecm/triage', i: 'x' })), null);
  assert.equal(decodeButton(42), null);
  const v = encodeButton({ skill: 'ecm/triage', id: 'ok', value: 'c-1' });
  assert.deepEqual(decodeButton(v), { skill: 'ecm/triage', id: 'ok', value: 'c-1' });
});
