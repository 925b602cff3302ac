import { join } from 'node:path';
import { writeBundle } from './bundles.ts';
import { adapterFor } from './languages/index.ts';
import { probeBwrap } from './sandbox/detect.ts';

export interface CheckBuildOptions {
  language: 'python' | 'go';
  entryPoint: string;
  /** The packed bundle, as it would be uploaded. */
  bundleBytes: Uint8Array;
  /** An empty folder of the caller's: the bundle is unpacked below it. */
  workDir: string;
  /** Where the build's output (and Go's build cache below it) goes. */
  cacheDir: string;
  log?: (msg: string) => void;
}

/**
 * Builds a bundle's handler as the platform will at its first run (Python's syntax check, go
 * build), in the sandbox when bubblewrap is there: `aspora validate` reports compile errors before
 * a deploy instead of at run time. Compiling reads the code and does not run it (no cgo, no
 * go:generate); without bubblewrap it runs as the user who asked.
 */
export async function checkBuild(o: CheckBuildOptions): Promise<void> {
  const bundleDir = await writeBundle(o.bundleBytes, join(o.workDir, 'bundle'));
  const sandbox = { mode: probeBwrap().ok ? ('bwrap' as const) : ('unsafe' as const) };
  await adapterFor(o.language).prepare({
    bundleDir,
    entryPoint: o.entryPoint,
    cacheDir: o.cacheDir,
    sandbox,
    ...(o.log ? { log: o.log } : {}),
  });
}
