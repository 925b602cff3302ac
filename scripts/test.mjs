#!/usr/bin/env node
// Runs every *.test.ts under packages/, tools/ and test/ with Node's own test runner (through tsx).
// Usage: npm test [-- <path filter> ...]
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['packages', 'tools', 'test', 'bench'];
const skip = new Set(['node_modules', 'dist', '.aspora', 'examples']);
const files = [];
function walk(dir) {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    if (skip.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.test.ts')) files.push(relative(process.cwd(), p));
  }
}
roots.forEach(walk);
const filters = process.argv.slice(2);
const selected = files.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (selected.length === 0) {
  console.error('no test files matched', filters.join(' '));
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...selected],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      ASPORA_LOG_LEVEL: process.env.ASPORA_LOG_LEVEL ?? 'silent',
      // One Go build cache for every test platform: each would compile Go's standard library again (~15 s).
      ASPORA_GO_CACHE: process.env.ASPORA_GO_CACHE ?? join(tmpdir(), 'aspora-test-go-cache'),
    },
  },
);
process.exit(res.status ?? 1);
