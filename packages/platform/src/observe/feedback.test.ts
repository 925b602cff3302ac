/** promptfoo cases from corrections: the input as vars, the execution's user as metadata, never the input's userId. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { promptfooCases, type FeedbackRecord } from './feedback.ts';

const correction = (over: Partial<FeedbackRecord>): FeedbackRecord => ({
  id: 1,
  executionId: '3f0c8f8e-5d3a-4c1e-9d59-2f8a4a0f1c2b',
  ref: 'ecm/my-tickets',
  rating: 2,
  correction: 'list the breached ticket first',
  author: 'lead@example.com',
  createdAt: '2026-12-05T10:00:00.000Z',
  input: { userMessage: 'my tickets', metadata: {}, userId: 'mallory@example.com' },
  result: { success: true, message: 'two tickets' },
  error: null,
  userId: 'sarah@example.com',
  ...over,
});

test("a case names the execution's user in its metadata; an input's userId is neither a var nor the user", () => {
  const [c] = parse(promptfooCases('ecm/my-tickets', [correction({})])) as Array<{
    vars: Record<string, unknown>;
    metadata: Record<string, unknown>;
  }>;
  assert.deepEqual(c!.vars, { userMessage: 'my tickets', metadata: {} });
  assert.equal(c!.metadata.user, 'sarah@example.com');
});

test('a run without a user has no user in its case', () => {
  const [c] = parse(promptfooCases('ecm/my-tickets', [correction({ userId: null })])) as Array<{
    metadata: Record<string, unknown>;
  }>;
  assert.equal('user' in c!.metadata, false);
});
