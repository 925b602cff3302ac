import { constants as fsc } from 'node:fs';
import { open } from 'node:fs/promises';
import { AsporaError } from '@aspora/sdk';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { constants as zc, gzip } from 'node:zlib';
import tar from 'tar-stream';
import { sha256Digest, sha256Hex } from './digest.ts';
import { createIgnore } from './ignore.ts';
import type { BundleLimits } from './limits.ts';
import { resolveLimits, tooLarge } from './limits.ts';
import { checkBundlePath, checkNoConflicts, comparePathBytes, normaliseMode } from './paths.ts';
import type { FileMode } from './paths.ts';
import { collectFolder } from './walk.ts';

export interface BundleFile {
  /** POSIX path relative to the skill folder. */
  path: string;
  size: number;
  mode: FileMode;
  /** Lowercase hex sha256 of the file content. */
  sha256: string;
}

export interface PackedBundle {
  bytes: Buffer;
  /** `sha256:<hex>` of `bytes` — the bundle's content address. */
  digest: string;
  size: number;
  /** Files in archive order (byte order of their paths). */
  files: BundleFile[];
}

export type PackInput = Map<string, Buffer | { data: Buffer; mode?: number }>;

export interface PackOptions {
  /** Limits are checked while packing so the client fails before uploading something the server rejects. */
  limits?: Partial<BundleLimits>;
}

export interface PackFolderOptions extends PackOptions {
  /** Extra gitignore-like patterns, applied after `.asporaignore`. */
  ignore?: string[];
}

export const IGNORE_FILE = '.asporaignore';

const gzipAsync = promisify(gzip);
// Every knob pinned: the digest is over compressed bytes, so compression must not vary with defaults.
const GZIP_OPTIONS = { level: 9, memLevel: 8, windowBits: 15, strategy: zc.Z_DEFAULT_STRATEGY } as const;
const GZIP_OS_BYTE = 9;
const GZIP_OS_UNIX = 3;
const EPOCH = new Date(0);

/** Packs in-memory files into a deterministic tar.gz (same content → same bytes → same digest). */
export async function packFiles(files: PackInput, opts: PackOptions = {}): Promise<PackedBundle> {
  const limits = resolveLimits(opts.limits);
  if (files.size > limits.maxFiles) throw tooLarge('maxFiles', files.size, limits.maxFiles);
  const paths = [...files.keys()].map(checkBundlePath).sort(comparePathBytes);
  checkNoConflicts(files);

  // Validate everything before streaming so a failure never leaves a half-fed pack stream behind.
  const entries = paths.map((path) => {
    const v = files.get(path)!;
    const data = Buffer.isBuffer(v) ? v : v.data;
    const mode = normaliseMode(Buffer.isBuffer(v) ? undefined : v.mode);
    if (data.length > limits.maxFileBytes)
      throw tooLarge('maxFileBytes', data.length, limits.maxFileBytes, { subject: path });
    return { path, data, mode };
  });

  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  const listing: BundleFile[] = [];
  for (const { path, data, mode } of entries) {
    listing.push({ path, size: data.length, mode, sha256: sha256Hex(data) });
    // Owner, group and time are fixed so the archive depends on content only.
    pack.entry(
      { name: path, type: 'file', size: data.length, mode, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' },
      data,
    );
  }
  pack.finalize();
  await collected;

  const tarBytes = Buffer.concat(chunks);
  if (tarBytes.length > limits.maxUncompressedBytes) {
    throw tooLarge('maxUncompressedBytes', tarBytes.length, limits.maxUncompressedBytes);
  }
  const bytes = await gzipAsync(tarBytes, GZIP_OPTIONS);
  // Node's gzip header already has mtime 0 and no name; the OS byte is zlib's compile-time platform id, so pin it.
  bytes[GZIP_OS_BYTE] = GZIP_OS_UNIX;
  if (bytes.length > limits.maxCompressedBytes)
    throw tooLarge('maxCompressedBytes', bytes.length, limits.maxCompressedBytes);
  return { bytes, digest: sha256Digest(bytes), size: bytes.length, files: listing };
}

/** Far above any real ignore file; the patterns are compiled to regular expressions, so they are bounded. */
const MAX_IGNORE_FILE_BYTES = 64 * 1024;

async function readIgnoreFile(dir: string): Promise<string[]> {
  let fh;
  try {
    // O_NOFOLLOW: a linked .asporaignore is refused like any other link in a skill folder.
    fh = await open(join(dir, IGNORE_FILE), fsc.O_RDONLY | fsc.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ELOOP')
      throw new AsporaError('BAD_REQUEST', `${IGNORE_FILE} is a symbolic link`, {
        hint: `make ${IGNORE_FILE} a plain file in the skill folder`,
      });
    throw e;
  }
  try {
    const { size } = await fh.stat();
    if (size > MAX_IGNORE_FILE_BYTES)
      throw new AsporaError('BAD_REQUEST', `${IGNORE_FILE} is ${size} bytes, more than ${MAX_IGNORE_FILE_BYTES}`, {
        hint: 'list directories rather than every file (build/ ignores everything under build)',
      });
    return (await fh.readFile('utf8')).split('\n');
  } finally {
    await fh.close();
  }
}

/**
 * Packs a skill folder. Built-in ignores (.git, node_modules, caches, .aspora) always apply, then
 * `.asporaignore`, then `opts.ignore`. Symlinks are refused: they could point outside the sandbox.
 */
export async function packFolder(dir: string, opts: PackFolderOptions = {}): Promise<PackedBundle> {
  const limits = resolveLimits(opts.limits);
  const isIgnored = createIgnore([...(await readIgnoreFile(dir)), ...(opts.ignore ?? [])]);
  const files = await collectFolder(dir, isIgnored, limits);
  return packFiles(files, { limits });
}
