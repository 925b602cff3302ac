/**
 * A skill folder on disk, packed exactly as it will be uploaded, then validated from those bytes:
 * what `aspora validate` accepts is what the platform accepts. A valid config's handler is then
 * compiled in its language (compile.ts): its errors join the validation's.
 */
import { statSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { AsporaError, CONFIG_FILE, validateSkillFiles, type SkillValidation } from '@aspora/sdk';
import { packFolder, unpackBundle, type PackedBundle } from '@aspora/platform/bundle';
import { compileHandler } from './compile.ts';

export interface LocalSkill {
  dir: string;
  display: string;
  bundle: PackedBundle;
  validation: SkillValidation;
  /** How the handler was compiled ("type-checked 2 files"), when it was. */
  compiled?: string;
  /** aspora.config.yaml as packed (for checks that position their findings in it). */
  configText?: string;
}

export interface LoadOptions {
  /** Compile the handler too (default true). */
  compile?: boolean;
  /** Progress of a slow compile. */
  log?: (msg: string) => void;
}

export async function loadLocalSkill(dirArg: string, opts: LoadOptions = {}): Promise<LocalSkill> {
  const dir = resolve(dirArg);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) {
    throw new AsporaError('BAD_REQUEST', `${dirArg} is not a folder`, {
      hint: 'pass the skill folder, e.g. skills/fraud/block-transaction (create one with `aspora create skill`)',
    });
  }
  const display = relative(process.cwd(), dir) || '.';
  const bundle = await packFolder(dir);
  const files = await unpackBundle(bundle.bytes);
  const validation = validateSkillFiles(files, { folderName: basename(dir), displayRoot: display });
  const config = files.get(CONFIG_FILE);
  const configText = config && validation.manifest ? new TextDecoder().decode(config.data) : undefined;
  if (validation.manifest && opts.compile !== false) {
    const c = await compileHandler(validation.manifest, bundle, files, display, opts.log);
    validation.issues.push(...c.issues);
    validation.warnings.push(...c.warnings);
    return {
      dir,
      display,
      bundle,
      validation,
      ...(c.checked ? { compiled: c.checked } : {}),
      ...(configText !== undefined ? { configText } : {}),
    };
  }
  return { dir, display, bundle, validation, ...(configText !== undefined ? { configText } : {}) };
}
