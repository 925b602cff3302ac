/**
 * Everything a skill version needs before a worker can start, done once per version and shared
 * by all its workers: the unpacked bundle, the language adapter's build (esbuild bundle, Go
 * binary, Python syntax check), the permissions as the guard reads them, and the shared files the
 * rules allow (only those are mounted: a blocked file is absent from the sandbox, not just refused).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedSkill } from '../registry/index.ts';
import type { BundleStore } from '../store/index.ts';
import { materializeBundle } from './bundles.ts';
import { adapterFor } from './languages/index.ts';
import type { LaunchSpec } from './languages/types.ts';
import { PermissionGuard, type SkillPermissions } from './policy/guard.ts';
import type { RoleRules } from './policy/roles.ts';
import { toVisible } from './policy/view.ts';
import type { BuildSandbox } from './sandbox/build.ts';
import { tableRulesOf } from '../state/rules.ts';
import type { SandboxLayout } from './sandbox/launch.ts';

export interface Prepared {
  spec: LaunchSpec;
  bundleDir: string;
  /** Folder of the domain's shared resources, if there is one: the registered version unpacked, or the host's. */
  sharedDir: string | undefined;
  shared: SandboxLayout['shared'];
  perms: SkillPermissions;
  /** monitoring.custom_metrics: name → type. */
  customMetrics: Map<string, 'gauge' | 'counter' | 'histogram'>;
}

export interface PrepareContext {
  store: BundleStore;
  /** runtime root: bundles/, build/ and go-cache/ live under it. */
  root: string;
  sharedRoot: string | undefined;
  /** The registered shared-resource bundle a skill version runs with (shared/link.ts); none: the host folder. */
  sharedBundle?: (versionId: string) => Promise<{ digest: string } | undefined>;
  webFetchHosts: string[];
  /** The platform's role rules (aspora.platform.yaml `roles:`). */
  roles: RoleRules;
  /** The sandbox the build of the bundle runs in. */
  sandbox: BuildSandbox;
  log: (ref: string, msg: string) => void;
}

export function sharedDirOf(sharedRoot: string | undefined, domain: string): string | undefined {
  if (!sharedRoot) return undefined;
  const d = join(sharedRoot, domain, 'shared');
  return existsSync(d) ? d : undefined;
}

/**
 * A registered version wins over the host folder: it is unpacked read-only once per digest (like a
 * skill bundle, with the same limits) and its files go through the same rules as the host folder's.
 */
async function sharedDirFor(versionId: string, domain: string, c: PrepareContext): Promise<string | undefined> {
  const registered = await c.sharedBundle?.(versionId);
  if (registered) return materializeBundle(c.store, registered.digest, join(c.root, 'shared'));
  return sharedDirOf(c.sharedRoot, domain);
}

export function permissionsOf(loaded: LoadedSkill, webFetchHosts: string[], roles?: RoleRules): SkillPermissions {
  const of = (kind: string) => loaded.permissions.filter((p) => p.kind === kind).map((p) => p.value);
  return {
    ref: loaded.ref,
    domain: loaded.ref.split('/')[0]!,
    role: loaded.version.role,
    tools: of('tool'),
    apis: of('api'),
    secrets: of('secret'),
    sharedResources: of('shared_resource'),
    blockedResources: of('blocked_resource'),
    webFetchHosts,
    tables: tableRulesOf(
      Object.fromEntries(
        loaded.permissions
          .filter((p) => p.kind === 'sheets_access')
          .map((p) => [p.value, (p.detail ?? {}) as { read?: string; write?: string }]),
      ),
    ),
    ...(roles ? { roles } : {}),
  };
}

export async function prepareVersion(loaded: LoadedSkill, c: PrepareContext): Promise<Prepared> {
  const v = loaded.version;
  const bundleDir = await materializeBundle(c.store, v.bundleDigest, join(c.root, 'bundles'));
  const cacheDir = join(c.root, 'build', v.bundleDigest.slice(7));
  await mkdir(cacheDir, { recursive: true, mode: 0o755 });
  const spec = await adapterFor(v.runtime.language).prepare({
    bundleDir,
    entryPoint: v.runtime.entryPoint,
    cacheDir,
    sandbox: c.sandbox,
    log: (m) => c.log(loaded.ref, m),
  });
  const perms = permissionsOf(loaded, c.webFetchHosts, c.roles);
  const sharedDir = await sharedDirFor(v.id, perms.domain, c);
  const declared =
    (
      v.config as {
        monitoring?: { custom_metrics?: Array<{ name: string; type: 'gauge' | 'counter' | 'histogram' }> };
      } | null
    )?.monitoring?.custom_metrics ?? [];
  return {
    spec,
    bundleDir,
    sharedDir,
    perms,
    customMetrics: new Map(declared.map((m) => [m.name, m.type])),
    shared: sharedDir ? await allowedShared(sharedDir, new PermissionGuard(perms)) : [],
  };
}

async function allowedShared(root: string, guard: PermissionGuard): Promise<SandboxLayout['shared']> {
  const out: SandboxLayout['shared'] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const s = await stat(join(root, r));
      const v = toVisible(`/shared/${r}`)!;
      if (s.isDirectory()) await walk(r);
      else if (s.isFile() && guard.resources.check(v).allowed) out.push({ host: join(root, r), sandbox: v.path });
    }
  };
  await walk('');
  return out;
}
