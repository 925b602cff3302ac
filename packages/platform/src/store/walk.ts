import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AsporaError } from './errors.ts';
import type { IgnoreTest } from './ignore.ts';
import type { BundleLimits } from './limits.ts';
import { tooLarge } from './limits.ts';
import { comparePathBytes, normaliseMode } from './paths.ts';
import type { FileMode } from './paths.ts';

export interface CollectedFile {
  data: Buffer;
  mode: FileMode;
}

/**
 * Reads every non-ignored regular file under `root`. Sizes are checked from lstat before reading so an
 * oversized file fails fast instead of being loaded into memory.
 */
export async function collectFolder(
  root: string,
  isIgnored: IgnoreTest,
  limits: BundleLimits,
): Promise<Map<string, CollectedFile>> {
  const out = new Map<string, CollectedFile>();
  let total = 0;

  async function visit(absDir: string, relDir: string): Promise<void> {
    // Sorted so that errors (first symlink, first oversize file) are reported deterministically.
    const names = (await readdir(absDir)).sort(comparePathBytes);
    for (const name of names) {
      const rel = relDir ? `${relDir}/${name}` : name;
      const abs = join(absDir, name);
      const st = await lstat(abs);
      if (isIgnored(rel, st.isDirectory())) continue;
      if (st.isSymbolicLink()) {
        throw new AsporaError('BUNDLE_INVALID', `${rel} is a symbolic link; bundles may only contain regular files`, {
          hint: `copy the file into the skill folder instead of linking it (or list ${JSON.stringify(rel)} in .asporaignore)`,
          details: { entry: rel },
        });
      }
      if (st.isDirectory()) {
        await visit(abs, rel);
      } else if (st.isFile()) {
        if (st.size > limits.maxFileBytes)
          throw tooLarge('maxFileBytes', st.size, limits.maxFileBytes, { subject: rel });
        if (out.size + 1 > limits.maxFiles)
          throw tooLarge('maxFiles', out.size + 1, limits.maxFiles, { atLeast: true });
        total += st.size;
        if (total > limits.maxUncompressedBytes) {
          throw tooLarge('maxUncompressedBytes', total, limits.maxUncompressedBytes, { atLeast: true });
        }
        out.set(rel, { data: await readFile(abs), mode: normaliseMode(st.mode) });
      } else {
        throw new AsporaError('BUNDLE_INVALID', `${rel} is not a regular file (socket, FIFO or device)`, {
          hint: `remove it from the skill folder or list ${JSON.stringify(rel)} in .asporaignore`,
          details: { entry: rel },
        });
      }
    }
  }

  let rootStat;
  try {
    rootStat = await stat(root); // the root itself may be a link: the user named it explicitly
  } catch (cause) {
    throw new AsporaError('BUNDLE_INVALID', `cannot pack ${root}: folder not found`, {
      hint: 'pass the path of a skill folder',
      cause,
    });
  }
  if (!rootStat.isDirectory()) {
    throw new AsporaError('BUNDLE_INVALID', `cannot pack ${root}: not a directory`, {
      hint: 'pass the path of a skill folder',
    });
  }
  await visit(root, '');
  return out;
}
