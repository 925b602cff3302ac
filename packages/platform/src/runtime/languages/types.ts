/**
 * How a language's worker is prepared and launched. A build (esbuild, go build, the Python syntax
 * check) runs in the sandbox too, through sandbox/build.ts. The sandbox (bubblewrap) mounts the
 * skill's bundle read-only at /skill, a private folder at /scratch (the working directory) and
 * every `mounts` entry (read-only unless `writable`); it starts `command` with only `env` (plus
 * PATH, HOME=/scratch, LANG) and the protocol socket on fd 3 (docs/runtime-protocol.md).
 */
import type { BuildSandbox } from '../sandbox/build.ts';

export type Language = 'typescript' | 'python' | 'go';

export interface PrepareOptions {
  /** The unpacked bundle on the host (read-only; do not write into it). */
  bundleDir: string;
  /** runtime.entry_point from aspora.config.yaml, relative to the bundle (e.g. code/handler.go). */
  entryPoint: string;
  /** A host folder private to this bundle digest where build output may be cached across runs. */
  cacheDir: string;
  /** Where builds run: the bundle is untrusted code, so its build runs sandboxed (sandbox/build.ts). */
  sandbox: BuildSandbox;
  /** Progress/diagnostics for slow steps (compilation). */
  log?: (msg: string) => void;
}

export interface LaunchSpec {
  /** Host paths mounted inside the sandbox (`sandbox` is an absolute in-sandbox path), read-only unless `writable` (a build's cache). */
  mounts: Array<{ host: string; sandbox: string; writable?: boolean }>;
  /** argv inside the sandbox; argv[0] an absolute in-sandbox path. */
  command: string[];
  env: Record<string, string>;
  /** Turns a stack the worker reports (bundle positions) into the skill's own files and lines. */
  mapStack?: (stack: string) => string;
}

export interface LanguageAdapter {
  readonly language: Language;
  /** Compile/check once per bundle digest (idempotent; reuse cacheDir); returns how to launch a worker. */
  prepare(opts: PrepareOptions): Promise<LaunchSpec>;
  /**
   * How to run the skill's own tests (tests/unit) inside the same sandbox: argv and env as above.
   * The command exits 0 when the tests pass; its output is shown to the user.
   */
  prepareTests(opts: PrepareOptions): Promise<LaunchSpec>;
}
