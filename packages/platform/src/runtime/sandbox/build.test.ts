/**
 * The build runner (sandbox/build.ts): what a build may leave behind and how many run at once.
 * Attacks through real skills are in security/build.test.ts; the TypeScript build script's own
 * checks in languages/typescript.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adapterRoot, buildSandbox } from '../test-support.ts';
import { BUILD_SLOTS, runBuild, takeOutput, withWorkDir } from './build.ts';

let root: string;
let cacheDir: (name: string) => string;
let removeRoot: () => void;
before(() => {
  ({ root, cacheDir, remove: removeRoot } = adapterRoot('aspora-build-'));
});
after(() => removeRoot());

const limits = {
  kind: 'typescript' as const,
  memoryMb: 256,
  timeoutMs: 30_000,
  cpuSeconds: 30,
  maxProcesses: 32,
  maxFileMb: 1,
};

test('only regular files are taken out of a work folder: a link the build left is not followed', async () => {
  const work = join(root, 'work');
  mkdirSync(work);
  writeFileSync(join(work, 'out.js'), 'ok');
  symlinkSync('/etc/passwd', join(work, 'link.js'));
  assert.equal(await takeOutput(work, 'link.js', join(root, 'taken', 'link.js')), false);
  assert.equal(await takeOutput(work, 'missing.js', join(root, 'taken', 'missing.js')), false);
  assert.equal(await takeOutput(work, 'out.js', join(root, 'taken', 'out.js')), true);
});

test(`at most ${BUILD_SLOTS} builds of a kind run at once; the others wait their turn, not a build of another kind`, async () => {
  const bundleDir = join(root, 'bundle');
  mkdirSync(bundleDir, { recursive: true, mode: 0o755 });
  const sb = buildSandbox();
  const spec = { mounts: [], command: ['/bin/sh', '-c', 'sleep 1'], env: {} };
  const t0 = performance.now();
  const runs = await Promise.all(
    Array.from({ length: BUILD_SLOTS + 1 }, (_, i) =>
      withWorkDir(sb, cacheDir(`slot-${i}`), (work) => runBuild(sb, spec, bundleDir, work, limits)),
    ),
  );
  assert.deepEqual(
    runs.map((r) => r.exitCode),
    runs.map(() => 0),
  );
  // One more build than slots: the last starts when a first one ends (a lower bound only).
  assert.ok(performance.now() - t0 >= 2000, `${Math.round(performance.now() - t0)} ms`);
  // Go builds fill their slots; a Python check does not wait for them.
  const go = Array.from({ length: BUILD_SLOTS }, (_, i) =>
    withWorkDir(sb, cacheDir(`go-${i}`), (work) =>
      runBuild(sb, { ...spec, command: ['/bin/sh', '-c', 'sleep 3'] }, bundleDir, work, { ...limits, kind: 'go' }),
    ).then(() => performance.now()),
  );
  await withWorkDir(sb, cacheDir('py'), (work) =>
    runBuild(sb, { ...spec, command: ['/bin/true'] }, bundleDir, work, { ...limits, kind: 'python' }),
  );
  const pyDone = performance.now();
  assert.ok(
    pyDone < Math.min(...(await Promise.all(go))),
    'the Python check finished while the Go builds held their slots',
  );
});
