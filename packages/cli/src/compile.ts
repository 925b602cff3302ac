/**
 * `aspora validate` compiles the handler in its language, so a handler that does not compile fails
 * here and not at its first run: TypeScript is type-checked against the SDK's types (the compiler
 * API, in-process), Python is byte-compiled and Go built by the platform's own language adapters
 * (runtime/languages), in the sandbox when this machine has one. All of it works on the packed
 * bundle — the bytes that would be uploaded — never on the folder itself: links were not followed
 * when packing, nothing is written into the skill folder.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { AsporaError, type Issue, type SkillManifest } from '@aspora/sdk';
import type { PackedBundle, UnpackedFile } from '@aspora/platform/bundle';

export interface CompileResult {
  issues: Issue[];
  warnings: Issue[];
  /** What was checked, for the one-line summary ("type-checked 3 files"). */
  checked?: string;
}

/** TypeScript sources checked in-process: past these a check would hold the CLI for too long. */
export const TS_LIMITS = { maxFiles: 500, maxBytes: 4 * 1024 * 1024, maxIssues: 50 };

export async function compileHandler(
  manifest: SkillManifest,
  bundle: PackedBundle,
  files: ReadonlyMap<string, UnpackedFile>,
  display: string,
  /** Progress of slow steps (a first Go build compiles the standard library: tens of seconds). */
  log?: (msg: string) => void,
): Promise<CompileResult> {
  const show = (f: string) => `${display.replace(/\/$/, '')}/${f}`;
  const { language, entryPoint } = manifest.runtime;
  if (language === 'typescript') return typeCheck(files, entryPoint, show);
  return buildWithAdapter(language, entryPoint, bundle, show, log);
}

// --- TypeScript: the compiler API over the bundle's files, the SDK's types from this install ---

const VROOT = '/__aspora_skill__';
const libraryFiles = new Map<string, import('typescript').SourceFile>();

async function typeCheck(
  files: ReadonlyMap<string, UnpackedFile>,
  entryPoint: string,
  show: (f: string) => string,
): Promise<CompileResult> {
  const sources = [...files].filter(([p]) => /\.(?:[cm]?ts|tsx|[cm]?js|json)$/.test(p));
  const bytes = sources.reduce((n, [, f]) => n + f.data.length, 0);
  if (sources.length > TS_LIMITS.maxFiles || bytes > TS_LIMITS.maxBytes) {
    return {
      issues: [],
      warnings: [
        {
          file: show(entryPoint),
          message: `handler not type-checked: ${sources.length} source files, ${bytes} bytes (at most ${TS_LIMITS.maxFiles} files, ${TS_LIMITS.maxBytes} bytes)`,
          hint: 'run tsc --noEmit on the skill yourself',
        },
      ],
    };
  }
  const { default: ts } = await import('typescript');
  const decoder = new TextDecoder();
  const virtual = new Map(sources.map(([p, f]) => [`${VROOT}/${p}`, decoder.decode(f.data)]));
  const virtualDirs = new Set<string>();
  for (const p of virtual.keys())
    for (let d = posix.dirname(p); d.startsWith(VROOT) && !virtualDirs.has(d); d = posix.dirname(d)) virtualDirs.add(d);

  // Outside the skill, only these real folders are read: the TypeScript lib, the SDK and the
  // node_modules it and @types/node resolve from (through the install's links, never the skill's).
  const require = createRequire(import.meta.url);
  const tsLib = dirname(realpathSync(require.resolve('typescript')));
  const sdkDir = realpathSync(dirname(dirname(fileURLToPath(import.meta.resolve('@aspora/sdk')))));
  // Not /node_modules: the skill's own folder sits (virtually) right below /, so a bare import of its
  // would find packages there; the platform's build refuses every package but the SDK anyway.
  const allowed = [
    tsLib,
    sdkDir,
    ...nodeModulesAbove(sdkDir),
    ...nodeModulesAbove(dirname(fileURLToPath(import.meta.url))),
  ].filter((a) => a !== '/node_modules');
  const real = (p: string) =>
    !p.startsWith(`${VROOT}/`) && p !== VROOT && allowed.some((a) => p === a || p.startsWith(`${a}/`));
  const typeRoots = nodeModulesAbove(dirname(fileURLToPath(import.meta.url))).map((d) => join(d, '@types'));

  const options: import('typescript').CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts'],
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    allowJs: true,
    checkJs: false,
    skipLibCheck: true,
    resolveJsonModule: true,
    esModuleInterop: true,
    isolatedModules: true,
    types: ['node'],
    typeRoots,
    // The SDK as this install has it: the handler's own node_modules (if any) is never looked at.
    paths: {
      '@aspora/sdk': [join(sdkDir, 'src/index.ts')],
      '@aspora/sdk/testing': [join(sdkDir, 'src/testing/index.ts')],
    },
  };
  const host = ts.createCompilerHost(options, true);
  host.getCurrentDirectory = () => VROOT;
  host.fileExists = (p) => virtual.has(p) || (real(p) && ts.sys.fileExists(p));
  host.readFile = (p) => virtual.get(p) ?? (real(p) ? ts.sys.readFile(p) : undefined);
  host.directoryExists = (p) => virtualDirs.has(p) || p === VROOT || (real(p) && ts.sys.directoryExists(p));
  host.realpath = (p) => (real(p) ? ts.sys.realpath!(p) : p);
  host.getDirectories = (p) => (real(p) ? ts.sys.getDirectories(p) : []);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError) => {
    const text = virtual.get(name);
    if (text !== undefined) return ts.createSourceFile(name, text, lang, true);
    if (!real(name)) return undefined;
    // The lib, @types/node and the SDK are the same for every skill: parsed once per process.
    let sf = libraryFiles.get(name);
    if (!sf) {
      sf = getSourceFile(name, lang, onError);
      if (sf) libraryFiles.set(name, sf);
    }
    return sf;
  };

  const root = `${VROOT}/${entryPoint}`;
  const program = ts.createProgram({ rootNames: [root], options, host });
  const mine = program.getSourceFiles().filter((sf) => sf.fileName.startsWith(`${VROOT}/`));
  const diags = [
    ...program.getOptionsDiagnostics(),
    ...mine.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]),
  ];
  const issues: Issue[] = [];
  for (const d of diags) {
    if (d.category !== ts.DiagnosticCategory.Error) continue;
    if (issues.length === TS_LIMITS.maxIssues) {
      issues.push({
        file: show(entryPoint),
        message: `more type errors not shown (${diags.length} in all)`,
        hint: 'fix the ones above first',
      });
      break;
    }
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n').split(`${VROOT}/`).join('');
    if (d.file) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      issues.push({
        file: show(d.file.fileName.slice(VROOT.length + 1)),
        line: line + 1,
        column: character + 1,
        message: `TS${d.code}: ${message}`,
        hint: hintFor(d.code),
      });
    } else {
      issues.push({
        file: show(entryPoint),
        message: `TS${d.code}: ${message}`,
        hint: 'fix the handler so that it compiles',
      });
    }
  }
  return { issues, warnings: [], checked: `type-checked ${mine.length} file${mine.length === 1 ? '' : 's'}` };
}

function hintFor(code: number): string {
  // 2307: cannot find module. The sandbox has the SDK and Node's built-ins, nothing else.
  if (code === 2307 || code === 2792)
    return 'a handler may import @aspora/sdk, node: built-ins and its own files only (bundled with it)';
  return 'fix the handler so that it type-checks (the platform runs it as written; a type error is usually a bug at run time)';
}

function nodeModulesAbove(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    out.push(join(d, 'node_modules'));
    if (d === dirname(d)) return out;
  }
}

// --- Python and Go: the platform's own adapters (the syntax check, go build), sandboxed when possible ---

async function buildWithAdapter(
  language: 'python' | 'go',
  entryPoint: string,
  bundle: PackedBundle,
  show: (f: string) => string,
  log?: (msg: string) => void,
): Promise<CompileResult> {
  await typescriptLoader();
  const { checkBuild } = await import('@aspora/platform');
  // The bundle is copied to a temporary folder; builds go below the user's cache folder, whose
  // go-cache (Go's build cache: the standard library compiled once) is kept between runs.
  const { dir: cacheRoot, temporary } = validateCacheDir();
  const cacheDir = join(cacheRoot, 'build', bundle.digest.slice(7));
  const work = mkdtempSync(join(tmpdir(), 'aspora-validate-'));
  chmodSync(work, 0o755); // as root, the sandbox's user reads the bundle below it
  try {
    await checkBuild({
      language,
      entryPoint,
      bundleBytes: bundle.bytes,
      workDir: work,
      cacheDir,
      ...(log ? { log } : {}),
    });
    return { issues: [], warnings: [], checked: language === 'go' ? 'built with go' : 'byte-compiled with python3' };
  } catch (caught) {
    // The platform's modules load through tsx with their own copy of the SDK when the CLI runs
    // from its bundle: its AsporaError is another class, so the error is recognised by its shape.
    const e = asAsporaError(caught);
    if (!e) throw caught;
    if (e.code === 'UNAVAILABLE') {
      const tool = language === 'go' ? 'go' : 'python3';
      const message = /not found/.test(e.message)
        ? `${tool} not found: handler not compiled`
        : `handler not compiled: ${e.message}`;
      return {
        issues: [],
        warnings: [
          {
            file: show(entryPoint),
            message,
            hint: e.hint ?? 'install the toolchain to check the handler before deploying',
          },
        ],
      };
    }
    if (e.code !== 'BUNDLE_INVALID') throw e;
    const issues = e.issues.length
      ? e.issues.map((i) => ({
          ...i,
          file: show(i.file.replace(/ \(generated\)$/, '')),
          hint: i.hint ?? e.hint ?? 'fix the code',
        }))
      : [{ file: show(entryPoint), message: e.message, ...(e.hint ? { hint: e.hint } : {}) }];
    return { issues, warnings: [] };
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(temporary ? cacheRoot : cacheDir, { recursive: true, force: true });
  }
}

function asAsporaError(e: unknown): AsporaError | undefined {
  if (e instanceof AsporaError) return e;
  if (!(e instanceof Error) || e.name !== 'AsporaError' || typeof (e as { code?: unknown }).code !== 'string')
    return undefined;
  const x = e as Error & { code: AsporaError['code']; hint?: string; issues?: Issue[] };
  return new AsporaError(x.code, x.message, {
    ...(x.hint ? { hint: x.hint } : {}),
    issues: Array.isArray(x.issues) ? x.issues : [],
  });
}

let loader: Promise<void> | undefined;

/**
 * The platform's runtime modules are TypeScript that locate files beside themselves, so the CLI's
 * bundle leaves them out (bin/bundle.mjs): they load through tsx, registered on first need only.
 */
function typescriptLoader(): Promise<void> {
  loader ??= (async () => {
    const { register } = await import('tsx/esm/api');
    register();
  })();
  return loader;
}

/**
 * ASPORA_VALIDATE_CACHE, else a folder of this user's in the temporary folder: a sandboxed build
 * (as root: uid 65534) must reach it, which a home folder of mode 0700 forbids. One someone else
 * made, or that others may write, is not used: a fresh one is, without a kept cache.
 */
function validateCacheDir(): { dir: string; temporary: boolean } {
  const uid = process.getuid?.() ?? 0;
  const dir = process.env.ASPORA_VALIDATE_CACHE || join(tmpdir(), `aspora-validate-cache-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = lstatSync(dir);
  const ours = st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0;
  const use = ours ? dir : mkdtempSync(join(tmpdir(), 'aspora-validate-cache-'));
  chmodSync(use, 0o755);
  mkdirSync(join(use, 'build'), { recursive: true, mode: 0o755 });
  return { dir: use, temporary: !ours };
}
