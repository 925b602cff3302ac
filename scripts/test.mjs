#!/usr/bin/env node
// Runs every *.test.ts under packages/, tools/, test/ and bench/ with Node's own test runner (through tsx).
// Usage: npm test [-- <path filter> ...]
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['packages', 'tools', 'test', 'bench'];
const skip = new Set(['node_modules', 'dist', '.aspora', 'examples']);
/** @type {string[]} */
const files = [];
/** @param {string} dir */
function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
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
// One hung test cannot eat CI's 90 minutes. Node 20 gives this limit to each file as a whole as
// well as to each test in it (a file is a test of the run), so it is sized for the longest file
// (TEST_TIMEOUT_MS to change it); a test that should give up sooner sets its own `timeout`.
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 10 * 60_000);
const res = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    `--test-timeout=${timeoutMs}`,
    ...selected,
  ],
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
