/**
 * Platform settings from the environment. One place reads process.env so that tests and
 * `aspora up` can start several platforms side by side with explicit options.
 */
import { resolve } from 'node:path';
import { AsporaError } from '@aspora/sdk';

export interface PlatformConfig {
  port: number;
  host: string;
  dataDir: string;
  /** postgres://… → PostgreSQL; unset → embedded PGlite under dataDir/db. */
  databaseUrl: string | undefined;
  /** Schema for the registry tables on PostgreSQL (default search_path when unset). */
  databaseSchema: string | undefined;
  /** file://… or unset → local folder under dataDir/bundles; s3://bucket/prefix → S3-compatible bucket (AWS_* from env). */
  storeUrl: string | undefined;
  embeddings: { baseURL: string; apiKey: string; model: string } | undefined;
  /**
   * Discovery's semantic signal when no embeddings endpoint is configured (ASPORA_SEARCH_VECTORS):
   * 'sentences' (default) fuses a sentence encoder shipped as a package, 'words' the averaged word
   * vectors shipped on disk (lighter: no 130 MB model), 'off' ranks lexically only.
   */
  searchVectors: 'sentences' | 'words' | 'off';
  limits: { maxBundleBytes: number; maxJsonBytes: number };
  logLevel: string;
  /** aspora.platform.yaml (ASPORA_PLATFORM_CONFIG; ./aspora.platform.yaml when present). */
  platformFile: string | undefined;
  /** Shared resources, laid out as `<domain>/shared/…` (ASPORA_SHARED_DIR). */
  sharedRoot: string | undefined;
  /**
   * The first admin's token, brought by the operator (ASPORA_ADMIN_TOKEN; ASPORA_API_TOKEN, its
   * former name, is read too). Unset: on an empty database the platform makes one (access/bootstrap.ts).
   */
  adminToken: string | undefined;
  /** The first admin's email (ASPORA_ADMIN_EMAIL, default admin@localhost). */
  adminEmail: string | undefined;
  /**
   * GET /metrics on a listener of its own, without the token (ASPORA_METRICS_LISTEN=127.0.0.1:9464);
   * unset: on the API's listener, behind ASPORA_API_TOKEN when that is set.
   */
  metricsListen: { host: string; port: number } | undefined;
  /** Redis for rate-limit and budget counters and the response cache, shared by processes (REDIS_URL). */
  redisUrl: string | undefined;
  /**
   * A local OpenAI-compatible stand-in (`aspora up` starts tools/openai-stub) that answers model
   * calls when no provider is configured, or always with `only` (--offline-models).
   */
  modelStandIn?: { url: string; only: boolean } | undefined;
  env: NodeJS.ProcessEnv;
}

export function platformConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  over: Partial<PlatformConfig> = {},
): PlatformConfig {
  const embeddingsUrl = env.ASPORA_EMBEDDINGS_URL;
  return {
    port: int(env.ASPORA_PORT, 4000, 'ASPORA_PORT'),
    host: env.ASPORA_HOST ?? '127.0.0.1',
    dataDir: resolve(env.ASPORA_DATA_DIR ?? '.aspora'),
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema: env.ASPORA_DB_SCHEMA || undefined,
    storeUrl: env.ASPORA_STORE_URL || undefined,
    embeddings: embeddingsUrl
      ? {
          baseURL: embeddingsUrl,
          apiKey: env.ASPORA_EMBEDDINGS_API_KEY ?? env.ASPORA_MODEL_API_KEY ?? 'unused',
          model: env.ASPORA_EMBEDDINGS_MODEL ?? 'text-embedding-3-small',
        }
      : undefined,
    // 'local' was the one local signal's name before the sentence encoder: it still means the default.
    searchVectors: oneOf(
      env.ASPORA_SEARCH_VECTORS === 'local' ? 'sentences' : env.ASPORA_SEARCH_VECTORS,
      ['sentences', 'words', 'off'] as const,
      'sentences',
      'ASPORA_SEARCH_VECTORS',
    ),
    limits: {
      maxBundleBytes: int(env.ASPORA_MAX_BUNDLE_BYTES, 20 * 1024 * 1024, 'ASPORA_MAX_BUNDLE_BYTES'),
      maxJsonBytes: int(env.ASPORA_MAX_JSON_BYTES, 1024 * 1024, 'ASPORA_MAX_JSON_BYTES'),
    },
    logLevel: env.ASPORA_LOG_LEVEL ?? 'info',
    platformFile: env.ASPORA_PLATFORM_CONFIG || undefined,
    sharedRoot: env.ASPORA_SHARED_DIR ? resolve(env.ASPORA_SHARED_DIR) : undefined,
    adminToken: env.ASPORA_ADMIN_TOKEN || env.ASPORA_API_TOKEN || undefined,
    adminEmail: env.ASPORA_ADMIN_EMAIL || undefined,
    metricsListen: hostPort(env.ASPORA_METRICS_LISTEN, 'ASPORA_METRICS_LISTEN'),
    redisUrl: env.REDIS_URL || undefined,
    env,
    ...over,
  };
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], dflt: T, name: string): T {
  if (v === undefined || v === '') return dflt;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new AsporaError('CONFIG_INVALID', `${name} must be one of ${allowed.join(', ')}, got "${v}"`, {
    hint: `fix or unset ${name} in the environment`,
  });
}

function int(v: string | undefined, dflt: number, name: string): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new AsporaError('CONFIG_INVALID', `${name} must be a non-negative integer, got "${v}"`, {
      hint: `fix or unset ${name} in the environment`,
    });
  return n;
}

/** `host:port` or `[v6]:port`; empty or unset → undefined. */
function hostPort(v: string | undefined, name: string): { host: string; port: number } | undefined {
  if (!v) return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new AsporaError('CONFIG_INVALID', `${name} must be host:port (e.g. 127.0.0.1:9464), got "${v}"`, {
      hint: `fix or unset ${name} in the environment`,
    });
  return { host: m[1] ?? m[2]!, port };
}
