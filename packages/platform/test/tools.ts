/**
 * What a test needs of the machine (a Go toolchain, bubblewrap, promtool, the Python openai
 * client, a Redis server …) and what happens when it is missing: on a developer's machine the
 * test is skipped, counted, with what is missing and how to install it; under CI (CI=true, which
 * .ci/run sets) it is a failure naming what is missing, so CI cannot go green on skipped coverage.
 * Every test that needs such a tool asks here rather than deciding for itself.
 */
import { spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import { redisDown } from '../src/rate-limits/test-support.ts';
import { pgDown } from '../src/registry/test-support.ts';
import { pythonInterpreter } from '../src/runtime/languages/python.ts';
import { probeBwrap } from '../src/runtime/sandbox/detect.ts';

export interface Need {
  /** What is needed, as a person would name it ("the Go toolchain"). */
  name: string;
  /** Why it cannot be used here, or undefined/false when it can. */
  missing: string | undefined | false;
  /** How to get it. */
  install?: string;
}

/** The tools several tests need, each probed once per process. */
export const TOOLS = {
  go: {
    name: 'the Go toolchain',
    install: 'apt-get install golang-go, or set ASPORA_GO (.ci/run installs it)',
    probe: (): string | undefined => {
      const bin = process.env.ASPORA_GO || 'go';
      const r = spawnSync(bin, ['version'], { encoding: 'utf8', timeout: 30_000 });
      if (r.error) return `${bin} version: ${r.error.message}`;
      return r.status === 0 ? undefined : `${bin} version exited ${r.status}: ${r.stderr.trim()}`;
    },
  },
  bubblewrap: {
    name: 'bubblewrap',
    install: 'apt-get install bubblewrap (.ci/run installs it)',
    probe: (): string | undefined => {
      const p = probeBwrap();
      return p.ok ? undefined : `unusable: ${p.reason}`;
    },
  },
  promtool: {
    name: 'promtool',
    install: "apt-get install prometheus (Debian's package carries promtool; .ci/run installs it)",
    probe: (): string | undefined => {
      const r = spawnSync('promtool', ['--version'], { encoding: 'utf8', timeout: 30_000 });
      if (r.error) return `promtool --version: ${r.error.message}`;
      return r.status === 0 ? undefined : `promtool --version exited ${r.status}`;
    },
  },
  tar: {
    name: 'a tar binary',
    install: 'apt-get install tar',
    probe: (): string | undefined => {
      const r = spawnSync('tar', ['--version'], { encoding: 'utf8', timeout: 30_000 });
      return r.error || r.status !== 0 ? `tar --version: ${r.error?.message ?? `exited ${r.status}`}` : undefined;
    },
  },
} satisfies Record<string, { name: string; install: string; probe: () => string | undefined }>;

export type Tool = keyof typeof TOOLS;

/** The Redis server the suite uses (.ci/run starts it); redisDown's reason says how to start it. */
export async function redis(): Promise<Need> {
  return { name: 'Redis', missing: await redisDown() };
}

/** The PostgreSQL server the suite uses (.ci/run starts it). */
export async function postgres(): Promise<Need> {
  return { name: 'PostgreSQL', missing: await pgDown() };
}

/** Python 3.9+ as the runtime finds it (ASPORA_PYTHON, else python3); asynchronous as its probe is. */
export async function python(): Promise<Need> {
  const why = await pythonInterpreter().then(
    () => undefined,
    (e: Error) => e.message,
  );
  return { name: 'Python 3.9+', missing: why, install: 'apt-get install python3, or set ASPORA_PYTHON' };
}

/** A needed tool is missing under CI: the run fails with what and how to install it. */
export class MissingToolError extends Error {
  readonly code = 'TEST_TOOL_MISSING';
  constructor(readonly need: Need) {
    super(
      `CI=true: ${whatIsMissing(need)}. CI must not pass on skipped coverage; install it (or unset CI to skip these tests on a developer's machine).`,
    );
    this.name = 'MissingToolError';
  }
}

/** Whether a missing tool fails rather than skips: CI is set to anything but "" / "0" / "false". */
export function strict(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = (env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

const probed = new Map<Tool, string | undefined>();

/** Why `tool` cannot be used on this machine, or undefined when it can (probed once). */
export function missing(tool: Tool): string | undefined {
  if (!probed.has(tool)) probed.set(tool, TOOLS[tool].probe());
  return probed.get(tool);
}

function needOf(what: Tool | Need): Need {
  if (typeof what !== 'string') return what;
  const t = TOOLS[what];
  return { name: t.name, install: t.install, missing: missing(what) };
}

function whatIsMissing(n: Need): string {
  return `${n.name} is missing (${n.missing})${n.install ? `; ${n.install}` : ''}`;
}

/**
 * The `skip` option of a test that needs each of `what` (for a suite, give it to suiteUnless):
 * undefined when all are there, else why it is skipped. Under CI a missing one throws
 * MissingToolError instead, which fails the file (at top level), the suite or the test where it is asked.
 */
export function skipUnless(...what: (Tool | Need)[]): string | undefined {
  for (const w of what) {
    const n = needOf(w);
    if (!n.missing) continue;
    if (strict()) throw new MissingToolError(n);
    return whatIsMissing(n);
  }
  return undefined;
}

/**
 * Inside a running test: true when every one of `what` is there; otherwise skips the test (counted,
 * with why) and returns false, or under CI fails it with MissingToolError.
 */
export function haveOrSkip(t: TestContext, ...what: (Tool | Need)[]): boolean {
  const why = skipUnless(...what);
  if (why) t.skip(why);
  return !why;
}

/**
 * The body of a describe() whose tests need what `skip` says is missing (from skipUnless). Node
 * counts a skipped suite as no test at all; here one skipped test stands for it, counted and saying
 * why, and the suite's hooks (which would build or start what is missing) are not registered.
 */
export function suiteUnless(skip: string | undefined, body: () => void): () => void {
  return () => {
    if (skip) test('every test of this suite', { skip }, () => {});
    else body();
  };
}
