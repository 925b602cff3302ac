/**
 * Registering the shared folders of a skills tree (`<root>/<domain>/shared`), as `aspora up` does
 * for the examples before it deploys them, so their skill versions run with them. The folders are
 * packed as skill folders are (.asporaignore, no links, the same limits); unchanged content is the
 * current version again, not a new one.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Db } from '../db/types.ts';
import { packFolder } from '../store/pack.ts';
import type { BundleLimits, BundleStore } from '../store/index.ts';
import { SharedResources } from './shared-resources.ts';

export interface SharedFolderResult {
  folder: string;
  domain: string;
  version?: string;
  created?: boolean;
  error?: string;
}

export async function registerSharedFolders(
  p: { db: Db; store: BundleStore; limits?: Partial<BundleLimits> },
  root: string,
  actor: string,
): Promise<SharedFolderResult[]> {
  const shared = new SharedResources(p.db, p.store, p.limits);
  const out: SharedFolderResult[] = [];
  for (const domain of (await readdir(root)).sort()) {
    const folder = join(root, domain, 'shared');
    if (!(await stat(folder).catch(() => undefined))?.isDirectory()) continue;
    const shown = relative(process.cwd(), folder) || folder;
    try {
      const packed = await packFolder(folder, p.limits ? { limits: p.limits } : {});
      const r = await shared.register(domain, packed.bytes, { actor });
      out.push({ folder: shown, domain, version: r.version.version, created: r.created });
    } catch (e) {
      out.push({ folder: shown, domain, error: (e as Error).message });
    }
  }
  return out;
}
