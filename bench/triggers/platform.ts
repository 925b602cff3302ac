/** A platform for a benchmark: PGlite in a temp folder, silent logs, the given environment. */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformConfigFromEnv } from '../../packages/platform/src/config/platform-config.ts';
import { createLogger } from '../../packages/platform/src/observe/logger.ts';
import { type Platform, startPlatform } from '../../packages/platform/src/platform.ts';

export async function tempPlatformForBench(env: NodeJS.ProcessEnv): Promise<Platform & { close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aspora-bench-'));
  chmodSync(dataDir, 0o755); // the sandbox user reads bundles below it
  const base = platformConfigFromEnv(env, { port: 0, dataDir });
  const p = await startPlatform({ ...base, adminToken: `bench-admin-${'x'.repeat(24)}` }, createLogger('silent'));
  return {
    ...p,
    async close() {
      await p.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
