/**
 * TypeScript (and JavaScript) handlers: code/handler.ts is bundled once per bundle digest with
 * esbuild into one plain-JS file, so the sandbox needs no TypeScript loader and no node_modules —
 * only node and the dependency-free worker (@aspora/sdk/worker/node).
 *
 * The bundle is untrusted code, so the build runs in the sandbox (sandbox/build.ts) as
 * ts-build/build.mjs, which sees only the bundle, esbuild and the modules a handler may import:
 * @aspora/sdk (value imports of it pull in its own dependencies, so those are there too; `import
 * type` is erased). That script refuses any import outside those folders and reads every file
 * itself, bounded (16 MB a file, 64 MB in all).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AsporaError, type Issue } from '@aspora/sdk';
import { runBuild, stopped, takeOutput, withWorkDir, type BuildLimits, type BuildSandbox } from '../sandbox/build.ts';
import type { LanguageAdapter, LaunchSpec, PrepareOptions } from './types.ts';

const WORKER = fileURLToPath(import.meta.resolve('@aspora/sdk/worker/node'));
const SANDBOX_HANDLER = '/opt/aspora/build/handler.cjs';
const NODE = process.execPath;
/** packages/platform: where the platform's own dependencies are looked up from. */
const PLATFORM_DIR = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT_DIR = fileURLToPath(new URL('./ts-build/', import.meta.url));
const TOOLS = '/opt/aspora/ts-build';
const MODULES = '/opt/aspora/modules/node_modules';
/** Output folder inside the digest's cache, mounted at /opt/aspora/build (builds before the sandbox wrote beside it). */
const OUT = 'ts';

const LIMITS: BuildLimits = {
  kind: 'typescript',
  memoryMb: 1024,
  timeoutMs: 60_000,
  cpuSeconds: 120,
  maxProcesses: 128,
  maxFileMb: 256,
};
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

/** node_modules/<name> as Node finds it from `fromDir` (real path), and the node_modules folder it is in. */
function findPackage(name: string, fromDir: string): { dir: string; nodeModules: string } | undefined {
  for (let d = fromDir; ; d = dirname(d)) {
    const c = join(d, 'node_modules', name);
    if (existsSync(join(c, 'package.json'))) return { dir: realpathSync(c), nodeModules: join(d, 'node_modules') };
    if (d === dirname(d)) return undefined;
  }
}

interface Toolchain {
  esbuild: string;
  /** esbuild's native binary and the folder of its platform package. */
  binary: string;
  binaryPackage: string;
  binaryName: string;
  /** The node_modules folder that holds @aspora/sdk on the host (for a build without a sandbox). */
  hostModules: string;
  /** @aspora/sdk and, transitively, its dependencies: name → real folder. */
  modules: Map<string, string>;
}

let toolchain: Toolchain | undefined;

function tools(): Toolchain {
  if (toolchain) return toolchain;
  const esbuildMain = fileURLToPath(import.meta.resolve('esbuild'));
  const binaryName = `@esbuild/${process.platform}-${process.arch}`;
  let binary: string;
  try {
    binary = realpathSync(createRequire(esbuildMain).resolve(`${binaryName}/bin/esbuild`));
  } catch {
    throw new AsporaError(
      'UNAVAILABLE',
      `TypeScript handlers need esbuild's binary for ${process.platform}-${process.arch} (${binaryName}), which is not installed`,
      { hint: 'npm ci on this machine (optional dependencies included)' },
    );
  }
  const sdk = findPackage('@aspora/sdk', PLATFORM_DIR);
  if (!sdk) throw new AsporaError('INTERNAL', 'the platform cannot find @aspora/sdk in its own install');
  const modules = new Map<string, string>([['@aspora/sdk', sdk.dir]]);
  const queue = ['@aspora/sdk'];
  while (queue.length) {
    const name = queue.shift()!;
    const dir = modules.get(name)!;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      if (modules.has(dep)) continue; // one folder per name: the sandbox's node_modules is flat
      const found = findPackage(dep, dir);
      if (found) modules.set(dep, found.dir), queue.push(dep);
    }
  }
  toolchain = {
    esbuild: dirname(dirname(realpathSync(esbuildMain))),
    binary,
    binaryPackage: dirname(dirname(binary)),
    binaryName,
    hostModules: sdk.nodeModules,
    modules,
  };
  return toolchain;
}

interface Job {
  /** Bundle-relative entry point. */
  entry: string;
  /** Output name without extension, relative to the output folder (handler, tests/x.test). */
  out: string;
  format: 'cjs' | 'esm';
}

/** The sandboxed build of `jobs`: esbuild and the SDK's modules mounted read-only, the work folder at /scratch. */
function buildSpec(sb: BuildSandbox, jobs: Job[]): LaunchSpec {
  const t = tools();
  const sandboxed = sb.mode === 'bwrap';
  const names = [...t.modules.keys()];
  // Without bubblewrap (development only) the same script runs on the host, on the host's folders.
  const modDir = (name: string) => (sandboxed ? `${MODULES}/${name}` : t.modules.get(name)!);
  const request = {
    sdk: modDir('@aspora/sdk'),
    modules: names.map((name) => ({ name, dir: modDir(name) })),
    nodePaths: [sandboxed ? MODULES : t.hostModules],
    maxFileBytes: MAX_FILE_BYTES,
    maxTotalBytes: MAX_TOTAL_BYTES,
    jobs,
  };
  return {
    mounts: [
      ...nodeMounts(),
      { host: SCRIPT_DIR, sandbox: `${TOOLS}/build` },
      { host: t.esbuild, sandbox: `${TOOLS}/node_modules/esbuild` },
      { host: t.binaryPackage, sandbox: `${TOOLS}/node_modules/${t.binaryName}` },
      ...names.map((name) => ({ host: t.modules.get(name)!, sandbox: `${MODULES}/${name}` })),
    ],
    // --no-opt: a build lives for a fraction of a second, and optimizing compilation cost more CPU
    // than it saved (a quarter of a small build's CPU, a third of one that bundles the SDK's values).
    command: [NODE, '--no-opt', `${TOOLS}/build/build.mjs`, '/skill', '/scratch', JSON.stringify(request)],
    env: { ESBUILD_BINARY_PATH: `${TOOLS}/node_modules/${t.binaryName}/bin/esbuild` },
  };
}

interface Report {
  jobs: Array<{ ok: true; file: string } | { ok: false; errors: Issue[] }>;
}

const REFUSED =
  /outside the skill's bundle|not importable|is not a regular file|is a symbolic link|cannot be read|an imported file may be at most|imported files in all|changed while it was read/;

function compileError(what: 'handler' | 'unit tests', issues: Issue[]): AsporaError {
  const lines = issues.map((i) => `${i.file ? `${i.file}:${i.line}:${i.column} ` : ''}${i.message}`);
  const text = lines.join('; ');
  return new AsporaError(
    'BUNDLE_INVALID',
    `the TypeScript ${what} ${what === 'handler' ? 'does' : 'do'} not compile: ${text.length > 4000 ? `${text.slice(0, 4000)}…` : text}`,
    {
      issues: issues.filter((i) => i.file).slice(0, 50),
      hint: issues.some((i) => REFUSED.test(i.message))
        ? `a handler imports only its bundle's files, Node's built-in modules and @aspora/sdk (each file at most ${MAX_FILE_BYTES / 1024 / 1024} MB); read other files at run time with ctx.tools.read, and deploy a new version`
        : 'fix the handler (npx tsc --noEmit, or aspora validate) and deploy a new version',
    },
  );
}

/** Builds in-process at most once per output at a time; renames make it atomic on disk. */
const building = new Map<string, Promise<Map<string, string>>>();

/** Builds `jobs` in one sandbox; returns job.out → the file written in `dest` (handler.cjs or .mjs). */
function buildOnce(
  opts: PrepareOptions,
  what: 'handler' | 'unit tests',
  jobs: Job[],
  dest: string,
): Promise<Map<string, string>> {
  const key = `${dest}\0${jobs.map((j) => j.out).join('\0')}`;
  let p = building.get(key);
  if (!p) {
    p = build(opts, what, jobs, dest).finally(() => building.delete(key));
    building.set(key, p);
  }
  return p;
}

async function build(
  opts: PrepareOptions,
  what: 'handler' | 'unit tests',
  jobs: Job[],
  dest: string,
): Promise<Map<string, string>> {
  return withWorkDir(opts.sandbox, opts.cacheDir, async (work) => {
    const r = await runBuild(opts.sandbox, buildSpec(opts.sandbox, jobs), opts.bundleDir, work, LIMITS);
    let report: Report | undefined;
    try {
      report = JSON.parse(r.report) as Report;
    } catch {
      report = undefined;
    }
    if (!report || report.jobs?.length !== jobs.length) {
      const why = stopped('the TypeScript build', r, LIMITS, opts.sandbox);
      opts.log?.(
        `typescript: the build of the ${what} stopped without a result (exit ${r.exitCode}${r.signal ? `, ${r.signal}` : ''}): ${r.output.slice(-2000)}`,
      );
      if (why)
        throw new AsporaError('BUNDLE_INVALID', `${why}`, {
          hint: `a file the ${what} imports may be too large or not a file at all; fix the import and deploy a new version`,
        });
      throw new AsporaError(
        'INTERNAL',
        `the TypeScript build of the ${what} stopped without a result (exit ${r.exitCode ?? r.signal}); the platform's log has its output`,
      );
    }
    const issues = report.jobs.flatMap((j) => (j.ok ? [] : j.errors));
    if (issues.length > 0) throw compileError(what, issues);
    const written = new Map<string, string>();
    for (const [i, job] of jobs.entries()) {
      const file = (report.jobs[i] as { file: string }).file;
      // Only the names this job may produce: the report is the build's word, not a path to follow.
      if (file !== `${job.out}.cjs` && file !== `${job.out}.mjs`)
        throw new AsporaError('INTERNAL', `the TypeScript build reported an unexpected output for ${job.entry}`);
      // The map first: whoever finds the file finds its map.
      await takeOutput(work, `${file}.map`, join(dest, `${file}.map`));
      if (!(await takeOutput(work, file, join(dest, file), 0o644)))
        throw new AsporaError('INTERNAL', `the TypeScript build wrote no ${file}`);
      written.set(job.out, join(dest, file));
    }
    return written;
  });
}

/** The built file for `out` (CommonJS, or an ES module for top-level await), if this digest has one. */
function cached(dest: string, out: string, formats: Array<'cjs' | 'mjs'>): string | undefined {
  for (const ext of formats) if (existsSync(join(dest, `${out}.${ext}`))) return join(dest, `${out}.${ext}`);
  return undefined;
}

/** A map this large is not parsed (a handler that imports 64 MB of text): its stacks stay unmapped. */
const MAX_MAP_BYTES = 32 * 1024 * 1024;

/** A worker's stack with bundle positions turned back into the skill's own files and lines. */
export function stackMapper(mapFile: string): ((stack: string) => string) | undefined {
  let map: SourceMap;
  try {
    if (statSync(mapFile).size > MAX_MAP_BYTES) return undefined;
    map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload);
  } catch {
    return undefined;
  }
  return (stack) =>
    stack.replace(
      /\(?(?:file:\/\/)?\/opt\/aspora\/build\/handler\.cjs:(\d+):(\d+)\)?/g,
      (whole, line: string, col: string) => {
        const e = map.findEntry(Number(line) - 1, Number(col) - 1) as {
          originalSource?: string;
          originalLine?: number;
          originalColumn?: number;
        };
        if (!e?.originalSource) return whole;
        // The build writes bundle-relative sources (node_modules/<name>/… for the SDK's); older maps had ../ paths.
        const raw = e.originalSource.replace(/^file:\/\//, '');
        const src =
          raw.startsWith('../') || raw.startsWith('/')
            ? raw.replace(/^(\.\.\/)+/, '').replace(/^.*?\/?(code\/|node_modules\/)/, '$1')
            : raw;
        return whole.startsWith('(')
          ? `(${src}:${e.originalLine! + 1}:${e.originalColumn! + 1})`
          : `${src}:${e.originalLine! + 1}:${e.originalColumn! + 1}`;
      },
    );
}

function nodeMounts(): LaunchSpec['mounts'] {
  // node under /usr is already visible in the sandbox; elsewhere (nvm, /opt) mount its prefix.
  const prefix = dirname(dirname(NODE));
  return NODE.startsWith('/usr/') ? [] : [{ host: prefix, sandbox: prefix }];
}

export const typescriptAdapter: LanguageAdapter = {
  language: 'typescript',

  async prepare(opts: PrepareOptions): Promise<LaunchSpec> {
    const dest = join(opts.cacheDir, OUT);
    const file =
      cached(dest, 'handler', ['cjs', 'mjs']) ??
      (await buildOnce(opts, 'handler', [{ entry: opts.entryPoint, out: 'handler', format: 'cjs' }], dest)).get(
        'handler',
      )!;
    const esm = file.endsWith('.mjs');
    const mapStack = esm ? undefined : stackMapper(`${file}.map`);
    return {
      mounts: [
        ...nodeMounts(),
        { host: dirname(WORKER), sandbox: '/opt/aspora/node' },
        { host: dest, sandbox: '/opt/aspora/build' },
      ],
      // An ES module keeps its linked source map (and the flag that reads it); CommonJS is mapped by the host.
      command: [
        NODE,
        ...(esm ? ['--enable-source-maps'] : []),
        '/opt/aspora/node/node-worker.cjs',
        esm ? '/opt/aspora/build/handler.mjs' : SANDBOX_HANDLER,
      ],
      env: { NODE_ENV: 'production' },
      ...(mapStack ? { mapStack } : {}),
    };
  },

  async prepareTests(opts: PrepareOptions): Promise<LaunchSpec> {
    const dir = join(opts.bundleDir, 'tests', 'unit');
    const files = existsSync(dir) ? (await readdir(dir)).filter((f) => /\.test\.(ts|mts|js|mjs)$/.test(f)).sort() : [];
    if (files.length === 0)
      throw new AsporaError('NOT_FOUND', 'the skill has no unit tests (tests/unit/*.test.ts)', {
        hint: 'aspora create writes one to start from',
      });
    const dest = join(opts.cacheDir, OUT);
    const jobs: Job[] = files.map((f) => ({
      entry: `tests/unit/${f}`,
      out: `tests/${f.replace(/\.(ts|mts|js|mjs)$/, '')}`,
      format: 'esm',
    }));
    const missing = jobs.filter((j) => !cached(dest, j.out, ['mjs']));
    if (missing.length > 0) await buildOnce(opts, 'unit tests', missing, dest);
    return {
      mounts: [...nodeMounts(), { host: dest, sandbox: '/opt/aspora/build' }],
      command: [
        NODE,
        '--enable-source-maps',
        '--test',
        '--test-reporter=spec',
        ...jobs.map((j) => `/opt/aspora/build/${j.out}.mjs`),
      ],
      // The bundle, for the test context's reads of the skill's own files (mapped to the host's folder without a sandbox).
      env: { NODE_ENV: 'test', NO_COLOR: '1', ASPORA_SKILL_DIR: '/skill' },
    };
  },
};
