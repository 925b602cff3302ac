/**
 * TypeScript (and JavaScript) handlers: the host bundles code/handler.ts once per bundle digest
 * with esbuild into one plain ES module, so the sandbox needs no TypeScript loader and no
 * node_modules — only node and the dependency-free worker (@aspora/sdk/worker/node).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildFailure, type BuildOptions } from 'esbuild';
import { AsporaError } from '@aspora/sdk';
import type { LanguageAdapter, LaunchSpec, PrepareOptions } from './types.ts';

const WORKER = fileURLToPath(import.meta.resolve('@aspora/sdk/worker/node'));
const SANDBOX_HANDLER = '/opt/aspora/build/handler.cjs';
/** Where a handler's or test's `import '@aspora/sdk/testing'` resolves: the platform's own install. */
const NODE_PATHS = [fileURLToPath(new URL('../../../node_modules', import.meta.url)), fileURLToPath(new URL('../../../../../node_modules', import.meta.url))];
const NODE = process.execPath;

/** esbuild's options for one output format. */
function options(entry: string, outfile: string, bundleDir: string, format: 'cjs' | 'esm'): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format,
    target: 'node20',
    logLevel: 'silent',
    absWorkingDir: bundleDir,
    nodePaths: NODE_PATHS,
    ...(format === 'esm'
      ? {
          sourcemap: 'inline' as const,
          // Bundled CommonJS dependencies may call require(): give the ES module one.
          banner: { js: "import { createRequire as __asporaRequire } from 'node:module'; const require = __asporaRequire(import.meta.url);" },
        }
      : // A map file beside it, read by the host when a handler fails: nothing to parse at start.
        { sourcemap: 'external' as const }),
  };
}

function buildError(e: unknown): AsporaError {
  const f = e as BuildFailure;
  const msgs = (f.errors ?? []).map((m) => `${m.location ? `${m.location.file}:${m.location.line}:${m.location.column} ` : ''}${m.text}`);
  return new AsporaError('BUNDLE_INVALID', `the TypeScript handler does not compile: ${msgs.join('; ') || f.message}`, {
    hint: 'fix the handler (npx tsc --noEmit, or aspora validate) and deploy a new version',
  });
}

/**
 * One plain-JS file for `entry`. Handlers become CommonJS (a worker starts without Node's ES
 * module loader: ~5 ms of every cold start); a module with top-level await stays an ES module.
 * Tests are ES modules (node --test). Returns the file written (or already there).
 */
async function bundle(entry: string, out: string, bundleDir: string, format: 'cjs' | 'esm'): Promise<string> {
  const cjs = `${out}.cjs`;
  const esm = `${out}.mjs`;
  for (const f of format === 'cjs' ? [cjs, esm] : [esm]) if (existsSync(f)) return f;
  await mkdir(dirname(out), { recursive: true });
  const attempt = async (fmt: 'cjs' | 'esm'): Promise<string> => {
    const file = fmt === 'cjs' ? cjs : esm;
    const tmp = `${file}.${process.pid}.tmp`;
    await build(options(entry, tmp, bundleDir, fmt));
    if (fmt === 'cjs') await rename(`${tmp}.map`, `${file}.map`);
    await rename(tmp, file); // atomic: a concurrent prepare never sees half a file
    return file;
  };
  try {
    return await attempt(format);
  } catch (e) {
    const tla = (e as BuildFailure).errors?.some((m) => /top-level await/i.test(m.text));
    if (format === 'cjs' && tla) {
      try {
        return await attempt('esm');
      } catch (e2) {
        throw buildError(e2);
      }
    }
    throw buildError(e);
  }
}

/** A worker's stack with bundle positions turned back into the skill's own files and lines. */
export function stackMapper(mapFile: string): ((stack: string) => string) | undefined {
  let map: SourceMap;
  try {
    map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload);
  } catch {
    return undefined;
  }
  return (stack) =>
    stack.replace(/\(?(?:file:\/\/)?\/opt\/aspora\/build\/handler\.cjs:(\d+):(\d+)\)?/g, (whole, line: string, col: string) => {
      const e = map.findEntry(Number(line) - 1, Number(col) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
      if (!e?.originalSource) return whole;
      const src = e.originalSource.replace(/^(\.\.\/)+/, '').replace(/^.*?\/?(code\/|node_modules\/)/, '$1');
      return whole.startsWith('(') ? `(${src}:${e.originalLine! + 1}:${e.originalColumn! + 1})` : `${src}:${e.originalLine! + 1}:${e.originalColumn! + 1}`;
    });
}

function nodeMounts(): LaunchSpec['mounts'] {
  // node under /usr is already visible in the sandbox; elsewhere (nvm, /opt) mount its prefix.
  const prefix = dirname(dirname(NODE));
  return NODE.startsWith('/usr/') ? [] : [{ host: prefix, sandbox: prefix }];
}

export const typescriptAdapter: LanguageAdapter = {
  language: 'typescript',

  async prepare(opts: PrepareOptions): Promise<LaunchSpec> {
    const file = await bundle(join(opts.bundleDir, opts.entryPoint), join(opts.cacheDir, 'handler'), opts.bundleDir, 'cjs');
    const esm = file.endsWith('.mjs');
    const mapStack = esm ? undefined : stackMapper(`${file}.map`);
    return {
      mounts: [...nodeMounts(), { host: dirname(WORKER), sandbox: '/opt/aspora/node' }, { host: opts.cacheDir, sandbox: '/opt/aspora/build' }],
      // An ES module keeps its inline source map (and the flag that reads it); CommonJS is mapped by the host.
      command: [NODE, ...(esm ? ['--enable-source-maps'] : []), '/opt/aspora/node/node-worker.cjs', esm ? '/opt/aspora/build/handler.mjs' : SANDBOX_HANDLER],
      env: { NODE_ENV: 'production' },
      ...(mapStack ? { mapStack } : {}),
    };
  },

  async prepareTests(opts: PrepareOptions): Promise<LaunchSpec> {
    const dir = join(opts.bundleDir, 'tests', 'unit');
    const files = existsSync(dir) ? (await readdir(dir)).filter((f) => /\.test\.(ts|mts|js|mjs)$/.test(f)).sort() : [];
    if (files.length === 0) throw new AsporaError('NOT_FOUND', 'the skill has no unit tests (tests/unit/*.test.ts)', { hint: 'aspora create writes one to start from' });
    const out: string[] = [];
    for (const f of files) {
      const built = await bundle(join(dir, f), join(opts.cacheDir, 'tests', f.replace(/\.(ts|mts|js|mjs)$/, '')), opts.bundleDir, 'esm');
      out.push(`/opt/aspora/build/tests/${built.slice(built.lastIndexOf('/') + 1)}`);
    }
    return {
      mounts: [...nodeMounts(), { host: opts.cacheDir, sandbox: '/opt/aspora/build' }],
      command: [NODE, '--enable-source-maps', '--test', '--test-reporter=spec', ...out],
      env: { NODE_ENV: 'test', NO_COLOR: '1' },
    };
  },
};
