/**
 * The platform's public surface, what `aspora up` and `aspora test` use: start a platform from
 * the environment's configuration, deploy skill folders to it, run a bundle's tests locally.
 * Everything else under src/ is internal. The bundle format (packing a folder) is
 * `@aspora/platform/bundle`, which loads none of the server.
 */
import type { Logger } from './observe/logger.ts';
import type { CoreOverrides, Platform } from './platform.ts';
import type { PlatformConfig } from './config/platform-config.ts';

export type { Platform, PlatformConfig };
export { platformConfigFromEnv } from './config/platform-config.ts';
export { readAdminToken } from './access/bootstrap.ts';
export { deployFolders, findSkillFolders, type FolderDeployResult } from './publish/folders.ts';
export { registerSharedFolders, type SharedFolderResult } from './shared/folders.ts';
export { seedStateTables, type StateSeedResult } from './state/seed.ts';
export { seedPeople, type PeopleSeedResult } from './access/seed-people.ts';
export { testBundle, type BundleTestOptions } from './runtime/test-bundle.ts';
export { checkBuild, type CheckBuildOptions } from './runtime/check-build.ts';

/**
 * Starts a platform (see platform.ts). The server's modules load on the first call, not with this
 * entry: `aspora test <folder>` imports it too and needs only the sandbox (about 1 s instead of 4).
 */
export async function startPlatform(config: PlatformConfig, log?: Logger, over?: CoreOverrides): Promise<Platform> {
  const { startPlatform: start } = await import('./platform.ts');
  return start(config, log, over);
}
