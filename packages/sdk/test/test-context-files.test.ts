/** The test context's reads: given files first, then the skill's own folder, never outside it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestContext } from '../src/testing/index.ts';

test("a read not in files reaches the skill's own folder, and nothing outside it", async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'aspora-ctx-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const skill = join(root, 'skill');
  mkdirSync(join(skill, 'assets'), { recursive: true });
  writeFileSync(join(skill, 'assets/limits.json'), '{"max":50}');
  writeFileSync(join(root, 'outside.txt'), 'secret');
  symlinkSync(join(root, 'outside.txt'), join(skill, 'assets/link.txt'));

  const ctx = createTestContext({ skillDir: skill, files: { 'assets/limits.json': 'given wins' } });
  assert.equal(await ctx.tools.read({ path: 'assets/limits.json' }), 'given wins');
  const own = createTestContext({ skillDir: skill });
  assert.equal(await own.tools.read({ path: 'assets/limits.json' }), '{"max":50}');
  assert.equal(await own.tools.read({ path: '/skill/assets/limits.json' }), '{"max":50}');
  for (const path of [
    '../outside.txt',
    'assets/../../outside.txt',
    join(root, 'outside.txt'),
    'assets/link.txt',
    'assets',
  ]) {
    await assert.rejects(own.tools.read({ path }), { code: 'NOT_FOUND' }, path);
  }
  const none = createTestContext({ skillDir: false });
  await assert.rejects(
    none.tools.read({ path: 'assets/limits.json' }),
    (e: Error & { code?: string }) => e.code === 'NOT_FOUND' && /aspora test/.test(e.message),
  );
});
