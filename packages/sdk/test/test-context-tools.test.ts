/** The test context runs a chat with tools as the worker does: the model fake asks, the handler's tools answer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '../src/testing/index.ts';
import type { SkillTools } from '../src/handler/types.ts';

const tools: SkillTools = {
  double: {
    description: 'Doubles x.',
    parameters: { type: 'object', properties: { x: { type: 'number' } } },
    run: ({ x }) => ({ y: x * 2 }),
  },
  broken: () => {
    throw new Error('down');
  },
};

test('tools: true runs the tools the model fake asks for and returns its final answer', async () => {
  const ctx = createTestContext({
    tools,
    model: (req) => {
      const last = req.messages.at(-1)!;
      if (last.role === 'tool') return `tool said: ${last.content}`;
      return {
        toolCalls: [
          { id: 'c1', name: 'double', arguments: { x: 21 } },
          { id: 'c2', name: 'broken', arguments: {} },
        ],
      };
    },
  });
  const answer = await ctx.model.chat({ messages: [{ role: 'user', content: 'double 21' }], tools: true });
  assert.equal(answer.content, 'tool said: {"error":"down"}');
  const chats = ctx.calls
    .filter((c) => c.op === 'model.chat')
    .map(
      (c) => c.args as { messages: Array<{ role: string; content: string | null }>; tools: Array<{ name: string }> },
    );
  assert.equal(chats.length, 2, 'one round asked for tools, the next answered');
  assert.deepEqual(
    chats[0]!.tools.map((t) => t.name),
    ['double', 'broken'],
  );
  assert.deepEqual(
    chats[1]!.messages.slice(1).map((m) => [m.role, m.content]),
    [
      ['assistant', ''],
      ['tool', '{"y":42}'],
      ['tool', '{"error":"down"}'],
    ],
  );
});

test('a tool the module does not export, and a model that never stops asking, fail as on the platform', async () => {
  await assert.rejects(createTestContext({ tools }).model.chat({ messages: [], tools: ['nope'] }), {
    code: 'BAD_REQUEST',
  });
  const loop = createTestContext({
    tools,
    model: () => ({ toolCalls: [{ id: 'c', name: 'double', arguments: { x: 1 } }] }),
  });
  await assert.rejects(loop.model.chat({ messages: [], tools: ['double'] }), /after 8 rounds/);
  assert.equal(loop.calls.filter((c) => c.op === 'model.chat').length, 8);
  const plain = createTestContext({ model: { content: 'hi' } });
  assert.deepEqual((await plain.model.chat({ messages: [] })).content, 'hi', 'without tools, one call');
});
