import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packFiles } from '../store/index.ts';
import { writeBundle } from './bundles.ts';

test('writeBundle: a bundle that cannot be written leaves no partial copy behind', async () => {
  const base = mkdtempSync(join(tmpdir(), 'aspora-bundles-'));
  try {
    // A bundle folder so deep that the bundle's longest path (1024 bytes, the most a bundle may
    // hold) passes PATH_MAX (4096) below it whatever the temp folder and pid: a real ENAMETOOLONG
    // halfway through, after files were written. (15 levels left it a few bytes short on CI.)
    const root = join(base, ...Array.from({ length: 17 }, (_, i) => `${i}`.padEnd(200, 'r')));
    mkdirSync(root, { recursive: true });
    const long = `${`${'p'.repeat(254)}/`.repeat(4)}${'q'.repeat(4)}`;
    const { bytes } = await packFiles(
      new Map([
        ['a.txt', Buffer.alloc(100_000, 1)],
        [long, Buffer.from('x')],
      ]),
    );
    await assert.rejects(writeBundle(bytes, join(root, 'digest')), /ENAMETOOLONG/);
    assert.deepEqual(readdirSync(root), [], 'the temporary folder was left behind');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('writeBundle: the files of a bundle, with their modes', async () => {
  const base = mkdtempSync(join(tmpdir(), 'aspora-bundles-'));
  try {
    const { bytes } = await packFiles(
      new Map<string, Buffer | { data: Buffer; mode: number }>([
        ['SKILL.md', Buffer.from('hi')],
        ['code/run.sh', { data: Buffer.from('#!/bin/sh'), mode: 0o755 }],
      ]),
    );
    const dir = await writeBundle(bytes, join(base, 'digest'));
    assert.equal(readFileSync(join(dir, 'SKILL.md'), 'utf8'), 'hi');
    assert.deepEqual(readdirSync(base), ['digest']);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
