/**
 * The deterministic bundle format, for clients that upload skills (the CLI's validate and deploy):
 * a folder packed exactly as the platform will store it, and unpacked as the platform unpacks it.
 * Plain TypeScript with no server dependency, so the CLI's bundle can inline it.
 */
export {
  packFolder,
  packFiles,
  IGNORE_FILE,
  type PackedBundle,
  type BundleFile,
  type PackFolderOptions,
} from './store/pack.ts';
export { unpackBundle, type UnpackedFile } from './store/unpack.ts';
