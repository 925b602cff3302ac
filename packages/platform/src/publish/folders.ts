/** Deploying skill folders from disk in-process: what `aspora up` does with examples/skills at start. */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { NOT_ACTED_ON_MESSAGE } from '@aspora/sdk';
import { packFolder } from '../store/index.ts';
import type { Publisher } from './publisher.ts';
import type { Environment } from '../registry/index.ts';

const SKIP = new Set(['node_modules', '.git', '.aspora']);

/** Every folder below `root` that holds an aspora.config.yaml (a skill does not nest skills). */
export async function findSkillFolders(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name === 'aspora.config.yaml')) {
      out.push(dir);
      return;
    }
    for (const e of entries) if (e.isDirectory() && !SKIP.has(e.name)) await walk(join(dir, e.name));
  }
  await walk(root);
  return out.sort();
}

export interface FolderDeployResult {
  folder: string;
  ref?: string;
  version?: string;
  created?: boolean;
  /** Fields the config sets that the platform does not act on yet (`aspora validate` lists them). */
  notActedOn?: number;
  error?: string;
}

/** Publishes and deploys each folder; one broken folder is reported and does not stop the others. */
export async function deployFolders(
  publisher: Publisher,
  folders: string[],
  envs: Environment[],
  actor: string,
): Promise<FolderDeployResult[]> {
  const results: FolderDeployResult[] = [];
  for (const folder of folders) {
    const shown = relative(process.cwd(), folder) || folder;
    try {
      const bundle = await packFolder(folder);
      const pub = await publisher.publish(bundle.bytes, { actor });
      for (const env of envs) await publisher.deploy(pub.ref, env, pub.version, actor);
      const notActedOn = pub.warnings.filter((w) => w.message.startsWith(NOT_ACTED_ON_MESSAGE)).length;
      results.push({
        folder: shown,
        ref: pub.ref,
        version: pub.version,
        created: pub.created,
        ...(notActedOn ? { notActedOn } : {}),
      });
    } catch (e) {
      results.push({ folder: shown, error: (e as Error).message });
    }
  }
  return results;
}
