/**
 * A skill folder on disk, packed exactly as it will be uploaded, then validated from those bytes:
 * what `aspora validate` accepts is what the platform accepts.
 */
import { statSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { AsporaError, validateSkillFiles, type SkillValidation } from '@aspora/sdk';
import { packFolder, unpackBundle, type PackedBundle } from '@aspora/platform/bundle';

export interface LocalSkill {
  dir: string;
  display: string;
  bundle: PackedBundle;
  validation: SkillValidation;
}

export async function loadLocalSkill(dirArg: string): Promise<LocalSkill> {
  const dir = resolve(dirArg);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) {
    throw new AsporaError('BAD_REQUEST', `${dirArg} is not a folder`, { hint: 'pass the skill folder, e.g. skills/fraud/block-transaction (create one with `aspora create skill`)' });
  }
  const display = relative(process.cwd(), dir) || '.';
  const bundle = await packFolder(dir);
  const files = await unpackBundle(bundle.bytes);
  const validation = validateSkillFiles(files, { folderName: basename(dir), displayRoot: display });
  return { dir, display, bundle, validation };
}
