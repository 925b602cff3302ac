/**
 * aspora.platform.yaml: what a platform offers its skills — the secrets vault, the APIs skills may
 * call (base URL, auth from the vault, methods, rate limits), WebFetch's allow-list and the
 * runtime's caps. Skills never see this file; they name APIs and secrets, the host resolves them.
 * `${VAR}` and `${VAR:-default}` in string values are read from the environment at load time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { AsporaError, parseDurationMs, parseSizeMb, validateYaml, type Issue } from '@aspora/sdk';

const duration = z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'a duration such as 500ms, 10s, 5m').transform(parseDurationMs);
const size = z.string().regex(/^\d+(\.\d+)?(KB|MB|GB|Ki|Mi|Gi)$/, 'a size such as 512MB or 2GB').transform(parseSizeMb);
const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and _ (an identifier)');

export const SecretSourceSchema = z.union([
  z.strictObject({ env: z.string().min(1) }),
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ value: z.string() }),
]);

const AuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('bearer'), secret: name }),
  z.strictObject({ type: z.literal('header'), name: z.string().min(1), secret: name, prefix: z.string().optional() }),
  z.strictObject({ type: z.literal('basic'), username: z.string(), secret: name }),
]);

const MethodSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  /** `/transactions/{transactionId}/check`: `{x}` is filled from the call's args (URL-encoded). */
  path: z.string().startsWith('/'),
  description: z.string().optional(),
});

export const ApiSchema = z.strictObject({
  base_url: z.url(),
  description: z.string().optional(),
  auth: AuthSchema.default({ type: 'none' }),
  timeout: duration.default(10_000),
  headers: z.record(z.string(), z.string()).default({}),
  methods: z.record(name, MethodSchema).refine((m) => Object.keys(m).length > 0, 'declare at least one method'),
  rate_limit: z
    .strictObject({
      per_skill_per_hour: z.number().int().positive().default(1000),
      per_domain_per_day: z.number().int().positive().default(10_000),
    })
    .default({ per_skill_per_hour: 1000, per_domain_per_day: 10_000 }),
});

export const PlatformFileSchema = z.strictObject({
  secrets: z.record(name, SecretSourceSchema).default({}),
  apis: z.record(name, ApiSchema).default({}),
  web_fetch: z
    .strictObject({
      /** Hostnames, or `*.example.com` for its subdomains. */
      allow_hosts: z.array(z.string().min(1)).default([]),
      max_bytes: size.default(2),
      timeout: duration.default(10_000),
    })
    .default({ allow_hosts: [], max_bytes: 2, timeout: 10_000 }),
  runtime: z
    .strictObject({
      max_workers: z.number().int().positive().default(16),
      /** Sum of the declared runtime.memory of all live workers. */
      max_memory: size.default(8192),
      max_idle_per_version: z.number().int().positive().default(4),
      idle_timeout: duration.default(600_000),
    })
    .default({ max_workers: 16, max_memory: 8192, max_idle_per_version: 4, idle_timeout: 600_000 }),
});

export type PlatformFile = z.output<typeof PlatformFileSchema>;
export type ApiDefinition = z.output<typeof ApiSchema>;
export type SecretSource = z.output<typeof SecretSourceSchema>;

export const EMPTY_PLATFORM_FILE: PlatformFile = PlatformFileSchema.parse({});

/** `${VAR}` / `${VAR:-default}` from env; an unset variable without a default is an issue at its line. */
export function interpolate(text: string, env: NodeJS.ProcessEnv, file: string): { text: string; issues: Issue[] } {
  const issues: Issue[] = [];
  const lines = text.split('\n').map((line, i) =>
    line.trimStart().startsWith('#')
      ? line
      : line.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, v: string, dflt: string | undefined) => {
          const val = env[v] ?? dflt;
          if (val === undefined) issues.push({ file, line: i + 1, message: `environment variable ${v} is not set`, hint: `set ${v}, or write \${${v}:-default}` });
          return val ?? '';
        }),
  );
  return { text: lines.join('\n'), issues };
}

export function parsePlatformFile(text: string, file: string, env: NodeJS.ProcessEnv = process.env): PlatformFile {
  const sub = interpolate(text, env, file);
  const v = validateYaml(PlatformFileSchema, sub.text, file);
  const issues = [...sub.issues, ...v.issues];
  if (issues.length || !v.value) {
    throw new AsporaError('CONFIG_INVALID', `${file} is not a valid platform configuration (${issues.length} problem${issues.length === 1 ? '' : 's'})`, {
      issues,
      hint: 'fix the listed lines; docs/platform-config.md describes the format',
    });
  }
  const undeclared = Object.entries(v.value.apis).flatMap(([api, a]) =>
    'secret' in a.auth && !(a.auth.secret in v.value!.secrets) ? [{ file, path: `apis.${api}.auth.secret`, message: `secret ${a.auth.secret} is not in secrets`, hint: `add secrets.${a.auth.secret}: {env: ${a.auth.secret}}` }] : [],
  );
  if (undeclared.length) throw new AsporaError('CONFIG_INVALID', `${file}: an API's auth names a secret the vault does not have`, { issues: undeclared });
  return v.value;
}

/** ASPORA_PLATFORM_CONFIG, else ./aspora.platform.yaml when present, else nothing configured. */
export function loadPlatformFile(path: string | undefined, env: NodeJS.ProcessEnv = process.env): { file: PlatformFile; path: string | undefined } {
  const p = path ?? (existsSync('aspora.platform.yaml') ? 'aspora.platform.yaml' : undefined);
  if (!p) return { file: EMPTY_PLATFORM_FILE, path: undefined };
  const abs = resolve(p);
  if (!existsSync(abs)) throw new AsporaError('CONFIG_INVALID', `platform configuration ${p} does not exist`, { hint: 'fix ASPORA_PLATFORM_CONFIG or create the file' });
  return { file: parsePlatformFile(readFileSync(abs, 'utf8'), p, env), path: abs };
}
