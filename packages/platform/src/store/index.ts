// Public surface of the bundle packer and the content-addressed bundle store.
export { packFiles, packFolder, IGNORE_FILE } from './pack.ts';
export type { BundleFile, PackedBundle, PackInput, PackOptions, PackFolderOptions } from './pack.ts';
export { unpackBundle } from './unpack.ts';
export type { UnpackedFile } from './unpack.ts';
export { sha256Digest, parseDigest, isDigest } from './digest.ts';
export type { ParsedDigest } from './digest.ts';
export { DEFAULT_BUNDLE_LIMITS, resolveLimits } from './limits.ts';
export type { BundleLimits } from './limits.ts';
export { ALWAYS_IGNORED, createIgnore } from './ignore.ts';
export type { FileMode } from './paths.ts';
export { openBundleStore } from './store.ts';
export type { BundleStore, PutResult, OpenStoreOptions } from './store.ts';
export { LocalBundleStore } from './folder-store.ts';
export { S3BundleStore, parseS3Url } from './s3-store.ts';
export type { S3Location, S3StoreOptions } from './s3-store.ts';
