/**
 * Python handlers run as they are, on the platform host's Python 3 (3.9 or newer): nothing is
 * built. prepare() checks, once per bundle digest, that every .py file of the code folder
 * compiles — in the sandbox (sandbox/build.ts), as any work on untrusted code: compiling a source
 * can take gigabytes, so the check has the sandbox's memory cap and a deadline — and returns how to start the SDK's worker (sdks/python, mounted read-only at
 * /opt/aspora/python) on the handler. The bundle is read-only in the sandbox, so no bytecode is
 * written (-B). Handlers may import the standard library, their sibling modules and whatever
 * the chosen interpreter has installed; there is no pip step.
 *
 * Which interpreter: ASPORA_PYTHON, else /usr/bin/python3, else python3 from PATH. One outside
 * /usr (pyenv, a venv, /opt) has its prefix mounted into the sandbox at the same path; when the
 * platform runs as root the sandbox runs as uid 65534, which must be able to read that prefix —
 * an interpreter under /root (pyenv's default) is not, so use the system python3 there.
 */
import { spawn } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AsporaError, type Issue } from '@aspora/sdk';
import { runBuild, stopped, withWorkDir, type BuildLimits } from '../sandbox/build.ts';
import type { LanguageAdapter, LaunchSpec, PrepareOptions } from './types.ts';

/** sdks/python of this repository (this file is packages/platform/src/runtime/languages/python.ts). */
export const PYTHON_SDK_DIR = fileURLToPath(new URL('../../../../../sdks/python', import.meta.url));
const SANDBOX_SDK = '/opt/aspora/python';
const MIN_VERSION: [number, number] = [3, 9];
const RUN_TIMEOUT_MS = 60_000;
const CHECK_LIMITS: BuildLimits = {
  kind: 'python',
  memoryMb: 512,
  timeoutMs: 60_000,
  cpuSeconds: 60,
  maxProcesses: 16,
  maxFileMb: 1,
};
const INSTALL_HINT = 'apt-get install python3 or set ASPORA_PYTHON';
/** What bubblewrap shows the sandbox of the host anyway (launch.ts): no mount needed. */
const VISIBLE = ['/usr', '/bin', '/lib', '/lib64', '/sbin'];

export interface PythonInterpreter {
  /** Absolute path of the interpreter (the real binary, or a venv's python). */
  executable: string;
  version: string;
  /** Its prefixes outside what the sandbox sees anyway, mounted at the same path. */
  mounts: LaunchSpec['mounts'];
}

function isExecutableFile(p: string): boolean {
  try {
    const s = statSync(p);
    return s.isFile() && (s.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The interpreter to use (read per call so tests can point ASPORA_PYTHON elsewhere). */
function candidate(): string {
  if (process.env.ASPORA_PYTHON) return process.env.ASPORA_PYTHON;
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isAbsolute(dir) && isExecutableFile(join(dir, 'python3'))) return join(dir, 'python3');
  }
  return 'python3'; // not found: the probe's ENOENT becomes UNAVAILABLE
}

function run(
  cmd: string,
  args: string[],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The caller's environment (a pyenv shim needs it); -I keeps PYTHON* variables out of Python.
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C.UTF-8' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        e.code === 'ENOENT' || e.code === 'EACCES'
          ? new AsporaError(
              'UNAVAILABLE',
              `Python handlers need Python ${MIN_VERSION.join('.')}+ on the platform host: ${cmd} was not found`,
              { hint: INSTALL_HINT },
            )
          : e,
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal)
        reject(
          new AsporaError('UNAVAILABLE', `${cmd} ${args[0] ?? ''} did not finish (${signal})`, { hint: INSTALL_HINT }),
        );
      else resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // a child that exits at once closes its stdin: not our error
    child.stdin.end(input ?? '');
  });
}

const PROBE =
  'import json, sys; print(json.dumps({"executable": sys.executable, "version": list(sys.version_info[:3]), "prefixes": [sys.prefix, sys.base_prefix]}))';

const isVisible = (p: string) => VISIBLE.some((v) => p === v || p.startsWith(`${v}/`));

/** Can "others" (the sandbox's uid 65534) traverse every folder down to p and read p? */
function othersCanRead(p: string): boolean {
  for (let d = p; ; d = dirname(d)) {
    try {
      const mode = statSync(d).mode;
      if ((mode & 0o001) === 0 || (d === p && (mode & 0o004) === 0)) return false;
    } catch {
      return false;
    }
    if (d === dirname(d)) return true;
  }
}

async function probe(cmd: string): Promise<PythonInterpreter> {
  const r = await run(cmd, ['-I', '-c', PROBE]);
  let info: { executable: string; version: [number, number, number]; prefixes: string[] };
  try {
    info = JSON.parse(r.stdout) as typeof info;
  } catch {
    throw new AsporaError(
      'UNAVAILABLE',
      `${cmd} is not a working Python 3 (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`,
      { hint: INSTALL_HINT },
    );
  }
  const [major, minor] = info.version;
  const version = info.version.join('.');
  if (major !== MIN_VERSION[0] || minor < MIN_VERSION[1]) {
    throw new AsporaError(
      'UNAVAILABLE',
      `${cmd} is Python ${version}; Python handlers need ${MIN_VERSION.join('.')} or newer`,
      { hint: INSTALL_HINT },
    );
  }
  const executable = isAbsolute(info.executable) ? info.executable : realpathSync(cmd);
  // The prefixes hold the standard library (and a venv's site-packages); the binary's own prefix
  // covers an interpreter whose sys.prefix points elsewhere.
  const dirs = [...info.prefixes, dirname(dirname(executable))].map((p) => (existsSync(p) ? realpathSync(p) : p));
  const outside = [...new Set(dirs)].filter((p) => !isVisible(p)).sort();
  const roots = outside.filter((p) => !outside.some((q) => q !== p && p.startsWith(`${q}/`)));
  return { executable, version, mounts: roots.map((p) => ({ host: p, sandbox: p })) };
}

const probes = new Map<string, Promise<PythonInterpreter>>();

/** The interpreter the adapter runs handlers with, probed once per process (failures are retried). */
export function pythonInterpreter(): Promise<PythonInterpreter> {
  const cmd = candidate();
  let p = probes.get(cmd);
  if (!p) {
    p = probe(cmd);
    probes.set(cmd, p);
    p.catch(() => probes.delete(cmd));
  }
  return p;
}

async function interpreterFor(opts: PrepareOptions): Promise<PythonInterpreter> {
  const py = await pythonInterpreter();
  if (process.getuid?.() === 0) {
    for (const m of py.mounts.filter((m) => !othersCanRead(m.host))) {
      opts.log?.(
        `python: ${m.host} (the prefix of ${py.executable}) is not readable by the sandbox user (uid 65534); the worker will not start in bubblewrap — set ASPORA_PYTHON to an interpreter under /usr (apt-get install python3)`,
      );
    }
  }
  return py;
}

/** The entry point's folder, relative to the bundle ("code"), after checking the entry point. */
function codeDir(opts: PrepareOptions): string {
  const entry = normalize(opts.entryPoint);
  const path = join(opts.bundleDir, entry);
  const inside = !isAbsolute(entry) && entry !== '..' && !entry.startsWith(`..${sep}`);
  if (!inside || !entry.endsWith('.py') || !existsSync(path) || !statSync(path).isFile()) {
    throw new AsporaError(
      'BUNDLE_INVALID',
      `the Python entry point ${opts.entryPoint} is not a .py file of the bundle`,
      { hint: 'runtime.entry_point: code/handler.py' },
    );
  }
  return dirname(entry);
}

/**
 * compile() of every .py file under argv[2] of the bundle at argv[1] (no __pycache__ or hidden
 * folders, no links followed); writes {files, issues} as JSON to fd 3. Writes no bytecode.
 */
const CHECK = `
import json, os, sys
root, top = sys.argv[1], sys.argv[2]
files = []
for d, dirs, names in os.walk(os.path.join(root, top)):
    dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x != "__pycache__")
    files += [os.path.relpath(os.path.join(d, n), root) for n in names if n.endswith(".py") and os.path.isfile(os.path.join(d, n)) and not os.path.islink(os.path.join(d, n))]
issues = []
for rel in sorted(files):
    try:
        with open(os.path.join(root, rel), "rb") as f:
            compile(f.read(), rel, "exec", dont_inherit=True)
    except SyntaxError as e:
        issue = {"file": rel, "message": type(e).__name__ + ": " + str(e.msg)}
        if e.lineno: issue["line"] = e.lineno
        if e.offset: issue["column"] = e.offset
        issues.append(issue)
    except (ValueError, OSError, RecursionError, MemoryError) as e:
        issues.append({"file": rel, "message": type(e).__name__ + ": " + str(e)[:500]})
os.write(3, (json.dumps({"files": len(files), "issues": issues[:200]}) + "\\n").encode())
`;

async function syntaxCheck(opts: PrepareOptions, py: PythonInterpreter, rel: string): Promise<void> {
  opts.log?.(`python: checking the syntax of ${rel}/ with Python ${py.version}`);
  const spec: LaunchSpec = {
    mounts: py.mounts,
    command: [py.executable, '-I', '-B', '-c', CHECK, '/skill', rel],
    env: {},
  };
  const r = await withWorkDir(opts.sandbox, opts.cacheDir, (work) =>
    runBuild(opts.sandbox, spec, opts.bundleDir, work, CHECK_LIMITS),
  );
  let report: { files: number; issues: Issue[] } | undefined;
  try {
    report = JSON.parse(r.report) as typeof report;
  } catch {
    report = undefined;
  }
  if (!report) {
    const why = stopped('the Python syntax check', r, CHECK_LIMITS, opts.sandbox);
    if (why)
      throw new AsporaError('BUNDLE_INVALID', `the Python handler could not be checked: ${why}`, {
        hint: 'a source file too large or too deeply nested to compile; split it, or load big data from a file at run time',
      });
    opts.log?.(
      `python: the syntax check stopped without a result (exit ${r.exitCode ?? r.signal}): ${r.output.slice(-2000)}`,
    );
    throw new AsporaError(
      'UNAVAILABLE',
      `the Python syntax check could not run in the sandbox (exit ${r.exitCode ?? r.signal}); the platform's log has its output`,
      {
        hint: `the interpreter ${py.executable} must be readable by the sandbox user (${INSTALL_HINT})`,
      },
    );
  }
  if (report.issues.length > 0) {
    const lines = report.issues.map(
      (i) => `${i.file}${i.line ? `:${i.line}` : ''}${i.column ? `:${i.column}` : ''}: ${i.message}`,
    );
    throw new AsporaError('BUNDLE_INVALID', `the Python handler does not compile:\n${lines.join('\n')}`, {
      issues: report.issues,
      hint: 'fix the code (python3 -m py_compile <file>, or aspora validate) and deploy a new version',
    });
  }
}

/** One check per bundle digest and interpreter version: the marker file records it in cacheDir. */
const checking = new Map<string, Promise<void>>();

function checkOnce(opts: PrepareOptions, py: PythonInterpreter, rel: string): Promise<void> {
  const marker = join(opts.cacheDir, `python-${py.version}.checked`);
  if (existsSync(marker)) return Promise.resolve();
  let p = checking.get(marker);
  if (!p) {
    p = (async () => {
      await syntaxCheck(opts, py, rel);
      await mkdir(opts.cacheDir, { recursive: true });
      await writeFile(marker, `${JSON.stringify({ python: py.executable, version: py.version, folder: rel })}\n`);
    })().finally(() => checking.delete(marker));
    checking.set(marker, p);
  }
  return p;
}

const sdkMounts = (py: PythonInterpreter): LaunchSpec['mounts'] => [
  ...py.mounts,
  { host: PYTHON_SDK_DIR, sandbox: SANDBOX_SDK },
];

export const pythonAdapter: LanguageAdapter = {
  language: 'python',

  async prepare(opts: PrepareOptions): Promise<LaunchSpec> {
    const rel = codeDir(opts);
    const py = await interpreterFor(opts);
    await checkOnce(opts, py, rel);
    return {
      mounts: sdkMounts(py),
      // -I: no PYTHON* variables, no user site, no script folder on sys.path (the worker sets
      // its own); -B: the bundle is read-only; -u: output reaches the host as it is written.
      command: [
        py.executable,
        '-I',
        '-B',
        '-u',
        `${SANDBOX_SDK}/aspora_sdk/worker.py`,
        `/skill/${normalize(opts.entryPoint)}`,
      ],
      env: {},
    };
  },

  async prepareTests(opts: PrepareOptions): Promise<LaunchSpec> {
    const rel = codeDir(opts);
    const dir = join(opts.bundleDir, 'tests', 'unit');
    const files = existsSync(dir) ? (await readdir(dir)).filter((f) => /^test_.*\.py$/.test(f)) : [];
    if (files.length === 0) {
      throw new AsporaError('NOT_FOUND', 'the skill has no unit tests (tests/unit/test_*.py)', {
        hint: 'aspora create writes one to start from (unittest, with aspora_sdk.testing.create_test_context)',
      });
    }
    const py = await interpreterFor(opts);
    return {
      mounts: sdkMounts(py),
      command: [
        py.executable,
        '-B',
        '-s',
        '-u',
        '-m',
        'unittest',
        'discover',
        '-s',
        '/skill/tests/unit',
        '-t',
        '/skill/tests/unit',
        '-p',
        'test_*.py',
        '-v',
      ],
      env: {
        // The SDK, and the code folder so a test may `from handler import handler`.
        PYTHONPATH: `${SANDBOX_SDK}:/skill/${rel}`,
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
        PYTHONSAFEPATH: '1', // 3.11+: the working directory (/scratch) is not put on sys.path
        ASPORA_SKILL_DIR: '/skill', // the test context's reads of the skill's own files
      },
    };
  },
};
