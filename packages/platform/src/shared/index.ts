// A domain's shared resources as versioned bundles (issue 15 part 6; docs/decisions/013-shared-resources.md).
export { SharedResources, REGISTER_RULE } from './shared-resources.ts';
export { linkSharedResources, pinnedSharedVersion, sharedBundleOf } from './link.ts';
export { registerSharedFolders, type SharedFolderResult } from './folders.ts';
export { insertSharedVersion, listSharedVersions, type SharedVersion } from './versions.ts';
