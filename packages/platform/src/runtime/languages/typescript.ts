/**
 * TypeScript (and JavaScript) handlers: the host bundles code/handler.ts once per bundle digest
 * with esbuild into one plain ES module, so the sandbox needs no TypeScript loader and no
 * node_modules — only node and the dependency-free worker (@aspora/sdk/worker/node).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildFailure } from 'esbuild';
import { AsporaError } from '@aspora/sdk';
import type { LanguageAdapter, LaunchSpec, PrepareOptions } from './types.ts';

const WORKER = fileURLToPath(import.meta.resolve('@aspora/sdk/worker/node'));
/** Where a handler's or test's `import '@aspora/sdk/testing'` resolves: the platform's own install. */
const NODE_PATHS = [fileURLToPath(new URL('../../../node_modules', import.meta.url)), fileURLToPath(new URL('../../../../../node_modules', import.meta.url))];
const NODE = process.execPath;

async function bundle(entry: string, outfile: string, bundleDir: string): Promise<void> {
  if (existsSync(outfile)) return;
  await mkdir(dirname(outfile), { recursive: true });
  const tmp = `${outfile}.${process.pid}.tmp`;
  try {
    await build({
      entryPoints: [entry],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
      sourcemap: 'inline',
      // Bundled CommonJS dependencies may call require(): give the ES module one.
      banner: { js: "import { createRequire as __asporaRequire } from 'node:module'; const require = __asporaRequire(import.meta.url);" },
      absWorkingDir: bundleDir,
      nodePaths: NODE_PATHS,
    });
  } catch (e) {
    const f = e as BuildFailure;
    const msgs = (f.errors ?? []).map((m) => `${m.location ? `${m.location.file}:${m.location.line}:${m.location.column} ` : ''}${m.text}`);
    throw new AsporaError('BUNDLE_INVALID', `the TypeScript handler does not compile: ${msgs.join('; ') || f.message}`, {
      hint: 'fix the handler (npx tsc --noEmit, or aspora validate) and deploy a new version',
    });
  }
  await rename(tmp, outfile); // atomic: a concurrent prepare never sees half a file
}

function nodeMounts(): LaunchSpec['mounts'] {
  // node under /usr is already visible in the sandbox; elsewhere (nvm, /opt) mount its prefix.
  const prefix = dirname(dirname(NODE));
  return NODE.startsWith('/usr/') ? [] : [{ host: prefix, sandbox: prefix }];
}

export const typescriptAdapter: LanguageAdapter = {
  language: 'typescript',

  async prepare(opts: PrepareOptions): Promise<LaunchSpec> {
    await bundle(join(opts.bundleDir, opts.entryPoint), join(opts.cacheDir, 'handler.mjs'), opts.bundleDir);
    return {
      mounts: [...nodeMounts(), { host: dirname(WORKER), sandbox: '/opt/aspora/node' }, { host: opts.cacheDir, sandbox: '/opt/aspora/build' }],
      command: [NODE, '--enable-source-maps', '/opt/aspora/node/node-worker.mjs', '/opt/aspora/build/handler.mjs'],
      env: { NODE_ENV: 'production' },
    };
  },

  async prepareTests(opts: PrepareOptions): Promise<LaunchSpec> {
    const dir = join(opts.bundleDir, 'tests', 'unit');
    const files = existsSync(dir) ? (await readdir(dir)).filter((f) => /\.test\.(ts|mts|js|mjs)$/.test(f)).sort() : [];
    if (files.length === 0) throw new AsporaError('NOT_FOUND', 'the skill has no unit tests (tests/unit/*.test.ts)', { hint: 'aspora create writes one to start from' });
    const out: string[] = [];
    for (const f of files) {
      const name = f.replace(/\.(ts|mts|js|mjs)$/, '.mjs');
      await bundle(join(dir, f), join(opts.cacheDir, 'tests', name), opts.bundleDir);
      out.push(`/opt/aspora/build/tests/${name}`);
    }
    return {
      mounts: [...nodeMounts(), { host: opts.cacheDir, sandbox: '/opt/aspora/build' }],
      command: [NODE, '--enable-source-maps', '--test', '--test-reporter=spec', ...out],
      env: { NODE_ENV: 'test', NO_COLOR: '1' },
    };
  },
};
