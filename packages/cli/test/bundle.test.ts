/** The CLI's bundle (bin/bundle.mjs): what it inlines, when it is rebuilt, and that it runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// @ts-expect-error -- a plain .mjs beside the bin, without types
import { buildBundle, isFresh, staysExternal } from '../bin/bundle.mjs';

test('the SDK, the API contract and the bundle format are inlined; dependencies and the platform stay Node’s', () => {
  for (const p of [
    '@aspora/sdk',
    '@aspora/sdk/testing',
    '@aspora/api',
    '@aspora/api/client',
    '@aspora/platform/bundle',
  ])
    assert.equal(staysExternal(p), false, p);
  for (const p of ['commander', 'zod', 'node:fs', '@aspora/platform']) assert.equal(staysExternal(p), true, p);
});

test('fresh until an input is newer than the build, or gone, or the output is missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aspora-bundle-'));
  try {
    const input = join(dir, 'a.ts');
    writeFileSync(input, 'x');
    writeFileSync(join(dir, 'aspora.mjs'), '');
    const meta = join(dir, 'aspora.meta.json');
    const builtAt = Date.now();
    utimesSync(input, new Date(builtAt - 10_000), new Date(builtAt - 10_000));
    writeFileSync(meta, JSON.stringify({ output: 'aspora.mjs', builtAt, inputs: [input] }));
    assert.equal(isFresh(meta), true);
    utimesSync(input, new Date(builtAt + 1000), new Date(builtAt + 1000));
    assert.equal(isFresh(meta), false, 'edited after the build');
    writeFileSync(meta, JSON.stringify({ output: 'aspora.mjs', builtAt, inputs: [join(dir, 'gone.ts')] }));
    assert.equal(isFresh(meta), false, 'an input was removed');
    rmSync(join(dir, 'aspora.mjs'));
    writeFileSync(meta, JSON.stringify({ output: 'aspora.mjs', builtAt, inputs: [] }));
    assert.equal(isFresh(meta), false, 'no output');
    assert.equal(isFresh(join(dir, 'nope.json')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundle runs the same program, without tsx, and lists what it was built from', async () => {
  // Under packages/cli, so that its dependencies resolve as the real bundle's do.
  const out = join(fileURLToPath(new URL('../dist', import.meta.url)), `test-${process.pid}`);
  try {
    const file: string = await buildBundle(undefined, out);
    const meta = JSON.parse(readFileSync(join(out, 'aspora.meta.json'), 'utf8')) as { inputs: string[] };
    assert.ok(meta.inputs.some((f) => f.endsWith('packages/cli/src/main.ts')));
    assert.ok(
      meta.inputs.some((f) => f.endsWith('packages/sdk/src/config/schema.ts')),
      'the SDK is inside',
    );
    assert.doesNotMatch(
      readFileSync(file, 'utf8'),
      /from "@aspora\/sdk/,
      'no import of the SDK left (the templates the create command writes quote it with single quotes)',
    );
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { main } = await import(${JSON.stringify(pathToFileURL(file).href)}); await main(['node', 'aspora', 'validate', '--help']);`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: aspora validate/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
