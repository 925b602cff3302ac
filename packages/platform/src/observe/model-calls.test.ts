/**
 * model_calls rows of calls made outside executions (OpenAI clients on the gateway's routes), on
 * PGlite and PostgreSQL: every column as the gateway reported it, the skill found by its
 * domain/name (none for a platform call or a skill that does not exist), and batches larger than
 * one statement written whole.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ModelCallRecord } from '../gateway/types.ts';
import { SkillRegistry } from '../registry/skill-registry.ts';
import { BACKENDS, skillInput, type Harness } from '../registry/test-support.ts';
import { createLogger } from './logger.ts';
import { ModelCallLog } from './model-calls.ts';

const call = (over: Partial<ModelCallRecord> = {}): ModelCallRecord => ({
  provider: 'stub',
  requestedModel: 'fast',
  model: 'openai/gpt-4o-mini',
  promptTokens: 12,
  completionTokens: 30,
  cost: 0.000123,
  estimated: false,
  isFallback: false,
  latencyMs: 41.6,
  ok: true,
  cached: false,
  ...over,
});

interface Row {
  skill: string | null;
  provider: string;
  requested_model: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  cost: string;
  estimated: boolean;
  is_fallback: boolean;
  latency_ms: number;
  ok: boolean;
  error_code: string | null;
  cached: boolean;
}

for (const backend of BACKENDS) {
  describe(`model call records (${backend.name})`, () => {
    let h: Harness;
    before(async () => {
      h = await backend.open();
      await new SkillRegistry(h.db).registerVersion(skillInput('fraud', 'block-transaction'));
    });
    after(() => h.cleanup());

    it('writes each call with its columns and its skill, in statements of at most 100 rows', async () => {
      const log = new ModelCallLog(h.db, createLogger('silent'));
      log.add('fraud/block-transaction', call());
      log.add(
        'fraud/block-transaction',
        call({
          ok: false,
          errorCode: 'UPSTREAM_ERROR',
          promptTokens: 0,
          completionTokens: 0,
          cost: 0,
          isFallback: true,
        }),
      );
      log.add(undefined, call({ cached: true, estimated: true }));
      log.add('fraud/no-such-skill', call());
      for (let i = 0; i < 246; i++) log.add('fraud/block-transaction', call({ latencyMs: i }));
      await log.flush();

      const rows = await h.db.query<Row>(
        `SELECT s.domain || '/' || s.name AS skill, m.provider, m.requested_model, m.model, m.prompt_tokens, m.completion_tokens, m.cost::text AS cost,
                m.estimated, m.is_fallback, m.latency_ms, m.ok, m.error_code, m.cached
           FROM model_calls m LEFT JOIN skills s ON s.id = m.skill_id ORDER BY m.latency_ms DESC, m.ok, m.cached`,
      );
      assert.equal(rows.length, 250);
      const first = rows.find((r) => r.latency_ms === 42 && r.ok && !r.cached && r.skill)!;
      assert.deepEqual(first, {
        skill: 'fraud/block-transaction',
        provider: 'stub',
        requested_model: 'fast',
        model: 'openai/gpt-4o-mini',
        prompt_tokens: 12,
        completion_tokens: 30,
        cost: '0.000123',
        estimated: false,
        is_fallback: false,
        latency_ms: 42,
        ok: true,
        error_code: null,
        cached: false,
      });
      const failed = rows.find((r) => !r.ok)!;
      assert.deepEqual(
        [failed.skill, failed.error_code, failed.is_fallback, failed.cost],
        ['fraud/block-transaction', 'UPSTREAM_ERROR', true, '0.000000'],
      );
      const platform = rows.filter((r) => r.cached);
      assert.deepEqual(
        platform.map((r) => [r.skill, r.estimated]),
        [[null, true]],
        'a call naming no skill is the platform’s',
      );
      assert.equal(rows.filter((r) => r.skill === null).length, 2, 'and a skill that does not exist is none');
      assert.equal(rows.filter((r) => r.skill === 'fraud/block-transaction').length, 248);
    });
  });
}
