/**
 * Publishing a skill version: unpack an uploaded bundle within limits, validate it exactly as
 * `aspora validate` does, store it by content address, register the version. Deploying points
 * an environment at a registered version; rollback moves it back.
 * Bad input changes nothing: validation and the version-conflict check run before anything is written.
 */
import { AsporaError, requireValidSkill, type Issue } from '@aspora/sdk';
import { sha256Digest, unpackBundle, type BundleLimits, type BundleStore } from '../store/index.ts';
import type { SkillRegistry, SkillSummary, Environment } from '../registry/index.ts';
import { toRegisterInput } from './register-input.ts';
import { timestampVersionFor } from './timestamp.ts';
import type { DeployAnswer } from '@aspora/api';
import type { Releases } from '../releases/service.ts';
import type { CanaryAsk } from '../releases/plan.ts';

export interface PublishResult {
  ref: string;
  version: string;
  digest: string;
  size: number;
  /** false when this exact version and content were already registered (an idempotent re-deploy). */
  created: boolean;
  warnings: Issue[];
  skill: SkillSummary;
}

export class Publisher {
  #releases: Releases | undefined;

  constructor(
    private readonly store: BundleStore,
    private readonly registry: SkillRegistry,
    private readonly limits: Partial<BundleLimits> = {},
    /** The platform's own credentials (API auth, provider keys): no skill may declare one as its secret. */
    private readonly reservedSecrets: ReadonlySet<string> = new Set(),
    /** The gateway's model names: a skill's model.primary and model.fallback must be among them. */
    private readonly models?: { check(name: string, param?: string): void },
  ) {}

  async publish(
    bytes: Buffer,
    opts: { actor?: string; authorize?: (ref: string, ownerTeam: string) => Promise<void> } = {},
  ): Promise<PublishResult> {
    const files = await unpackBundle(bytes, this.limits);
    const manifest = requireValidSkill(files);
    await opts.authorize?.(manifest.ref, manifest.config.owner_team);
    refuseReservedSecrets(manifest.ref, manifest.config.permissions?.secrets ?? [], this.reservedSecrets);
    if (this.models) refuseUnknownModels(manifest.ref, manifest.config.model, this.models);
    const digest = sha256Digest(bytes);
    // versioning.strategy timestamp: the registry names the version by its publish time (publish/timestamp.ts).
    const version =
      manifest.config.versioning?.strategy === 'timestamp'
        ? await timestampVersionFor(this.registry, manifest.ref, digest)
        : manifest.config.skill.version;
    if (version !== manifest.config.skill.version)
      manifest.config = { ...manifest.config, skill: { ...manifest.config.skill, version } };

    const existing = await this.registry.getVersion(manifest.ref, version).catch((e: unknown) => {
      if (e instanceof AsporaError && (e.code === 'SKILL_NOT_FOUND' || e.code === 'VERSION_NOT_FOUND'))
        return undefined;
      throw e;
    });
    if (existing && existing.bundleDigest !== digest)
      throw versionConflict(manifest.ref, version, existing.bundleDigest, digest);

    const stored = await this.store.put(bytes);
    const res = await this.registry.registerVersion(
      toRegisterInput(manifest, { digest: stored.digest, size: stored.size, fileCount: files.size }, opts.actor),
    );
    return {
      ref: manifest.ref,
      version,
      digest: stored.digest,
      size: stored.size,
      created: res.created,
      warnings: manifest.warnings,
      skill: res.skill,
    };
  }

  /** Releases: a deploy over a live version may start one (a canary asked for, or the version's versioning config). */
  useReleases(releases: Releases): void {
    this.#releases = releases;
  }

  deploy(ref: string, env: Environment, version: string, actor?: string, ask: CanaryAsk = {}): Promise<DeployAnswer> {
    if (this.#releases) return this.#releases.deploy(ref, env, version, ask, actor ?? 'platform');
    return this.registry.deploy(ref, env, version, actor);
  }

  /** With a release in flight: ends it (traffic back to stable); otherwise the pointer moves back. */
  rollback(ref: string, env: Environment, opts: { toVersion?: string; actor?: string } = {}): Promise<DeployAnswer> {
    if (this.#releases) return this.#releases.rollback(ref, env, { ...opts, actor: opts.actor ?? 'platform' });
    return this.registry.rollback(ref, env, opts);
  }
}

/** The vault never hands these to a handler (it would not get them at run time either): said at deploy. */
function refuseReservedSecrets(ref: string, secrets: readonly string[], reserved: ReadonlySet<string>): void {
  const issues: Issue[] = secrets.flatMap((name, i) =>
    reserved.has(name)
      ? [
          {
            file: 'aspora.config.yaml',
            path: `permissions.secrets[${i}]`,
            message: `${name} is a credential of the platform (aspora.platform.yaml), never handed to a handler`,
          },
        ]
      : [],
  );
  if (!issues.length) return;
  throw new AsporaError(
    'CONFIG_INVALID',
    `${ref}: permissions.secrets names a credential of the platform (${issues.length === 1 ? secrets.find((n) => reserved.has(n)) : `${issues.length} of them`})`,
    {
      issues,
      hint: 'call the API through context.apis.<api> (permissions.apis): the host adds its credential to the request; the handler never holds it',
    },
  );
}

/** A model name the gateway would refuse at every call is refused at deploy, with the nearest known name. */
function refuseUnknownModels(
  ref: string,
  model: { primary?: string | undefined; fallback?: string | undefined } | undefined,
  models: { check(name: string, param?: string): void },
): void {
  const issues: Issue[] = [];
  for (const key of ['primary', 'fallback'] as const) {
    const name = model?.[key];
    if (!name) continue;
    try {
      models.check(name, `model.${key}`);
    } catch (e) {
      if (!(e instanceof AsporaError)) throw e;
      issues.push({
        file: 'aspora.config.yaml',
        path: `model.${key}`,
        message: e.message,
        ...(e.hint ? { hint: e.hint } : {}),
      });
    }
  }
  if (!issues.length) return;
  throw new AsporaError('CONFIG_INVALID', `${ref}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    issues,
    hint: 'name a model alias of this platform (GET /v1/models), or ask its admin to declare the model under models: in aspora.platform.yaml',
  });
}

function versionConflict(ref: string, version: string, had: string, got: string): AsporaError {
  return new AsporaError(
    'VERSION_CONFLICT',
    `${ref}@${version} is already registered with different content (${had.slice(0, 19)}…, this bundle is ${got.slice(0, 19)}…)`,
    {
      hint: 'versions are immutable: bump skill.version in aspora.config.yaml and deploy again',
      details: { ref, version, registeredDigest: had, bundleDigest: got },
    },
  );
}
