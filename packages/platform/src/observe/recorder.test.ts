import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SkillRegistry } from '../registry/skill-registry.ts';
import { BACKENDS, skillInput, type Harness } from '../registry/test-support.ts';
import { getExecution, type ExecutionRecord } from './executions.ts';
import { createLogger } from './logger.ts';
import { RecordJournal } from './record-journal.ts';
import { ExecutionRecorder } from './recorder.ts';

describe('execution recorder', () => {
  let h: Harness;
  let skillId: string;
  let versionId: string;
  let dir: string;
  before(async () => {
    h = await BACKENDS[0]!.open();
    const { version } = await new SkillRegistry(h.db).registerVersion(skillInput('fraud', 'block-transaction'));
    versionId = version.id;
    skillId = (await h.db.query<{ id: string }>("SELECT id FROM skills WHERE name = 'block-transaction'"))[0]!.id;
    dir = mkdtempSync(join(tmpdir(), 'aspora-recorder-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await h?.cleanup();
  });

  it('a record that cannot be serialised is still journaled and written, without its payloads, and says so', async () => {
    const journal = new RecordJournal(dir);
    const recorder = new ExecutionRecorder(h.db, createLogger('silent'), () => 0, journal);
    let deep: unknown = [];
    for (let i = 0; i < 20_000; i++) deep = [deep]; // deeper than JSON.stringify's stack
    const now = new Date().toISOString();
    const record: ExecutionRecord = {
      id: randomUUID(),
      ref: 'fraud/block-transaction',
      version: '1.0.0',
      environment: 'production',
      trigger: 'api',
      userId: null,
      caller: null,
      workflowId: null,
      parentExecutionId: null,
      startedAt: now,
      completedAt: now,
      durationMs: 1,
      success: true,
      error: null,
      input: { n: 1 },
      result: { success: true, message: 'deep', data: { deep } },
      logs: [{ level: 'info', msg: 'kept?', source: 'handler' }],
      hostCalls: 0,
      deniedCalls: 0,
      model: { calls: 0, promptTokens: 0, completionTokens: 0, cost: 0 },
    };
    await recorder.finish({ record, skillId, versionId, modelCalls: [] });
    const text = readdirSync(dir)
      .map((n) => readFileSync(join(dir, n), 'utf8'))
      .join('');
    assert.ok(text.includes(record.id), 'journaled');
    await recorder.drain();
    const row = await getExecution(h.db, record.id);
    assert.equal(row?.success, true);
    assert.equal(row?.result, null);
    assert.equal(row?.error?.code, 'RECORD_TRUNCATED');
    assert.match(
      row!.error!.message,
      /the execution record could not be serialised \(Maximum call stack size exceeded\): its input, result, logs and error details are not on record/,
    );
    // The caller's record (the API's answer) is the one written.
    assert.equal(record.error?.code, 'RECORD_TRUNCATED');
    assert.doesNotThrow(() => JSON.stringify(record));
    await recorder.close();
  });
});
