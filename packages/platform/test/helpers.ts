/** Shared helpers for platform tests: a throwaway platform and in-memory skill bundles. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { platformConfigFromEnv } from '../src/config/platform-config.ts';
import { startPlatform, type Platform } from '../src/platform.ts';
import { parsePlatformFile } from '../src/config/platform-file.ts';
import { createLogger } from '../src/observe/logger.ts';
import { packFiles } from '../src/store/index.ts';
import { startOpenAIStub, type OpenAIStub } from '../../../tools/openai-stub/src/server.ts';

/**
 * A throwaway platform whose default provider `stub` is a fresh OpenAI stub. `config` is the rest
 * of its aspora.platform.yaml as an object; its `gateway` keys join `default_provider: stub`.
 */
export async function platformOnStub(
  apiToken: string,
  config: { gateway?: Record<string, unknown> } & Record<string, unknown> = {},
): Promise<{ stub: OpenAIStub; p: Awaited<ReturnType<typeof tempPlatform>>; cleanup(): Promise<void> }> {
  const stub = await startOpenAIStub();
  const { gateway, ...rest } = config;
  const platformYaml = stringify({
    providers: { stub: { base_url: stub.url, timeout: '5s' } },
    gateway: { default_provider: 'stub', ...gateway },
    ...rest,
  });
  const p = await tempPlatform({ apiToken, platformYaml }).catch(async (e: unknown) => {
    await stub.close();
    throw e;
  });
  return { stub, p, cleanup: async () => (await p.cleanup(), await stub.close()) };
}

export async function tempPlatform(
  over: {
    databaseUrl?: string;
    databaseSchema?: string;
    maxBundleBytes?: number;
    apiToken?: string;
    platformYaml?: string;
    env?: NodeJS.ProcessEnv;
    /** An earlier platform's data directory (a restart on its PGlite): kept by cleanup, its owner removes it. */
    dataDir?: string;
  } = {},
): Promise<
  Platform & {
    dataDir: string;
    token: string;
    auth: { authorization: string };
    /** fetch() of a path on this platform with the admin's token (a header given in init wins). */
    fetch(path: string, init?: RequestInit): Promise<Response>;
    cleanup(): Promise<void>;
  }
> {
  const dataDir = over.dataDir ?? mkdtempSync(join(tmpdir(), 'aspora-test-'));
  chmodSync(dataDir, 0o755); // the sandbox user reads bundles below it
  // The word vectors unless a test asks for another signal: the sentence encoder costs ~0.2 s to
  // load and ~40 ms a deploy in each of the suite's hundreds of platforms. Its own tests
  // (registry/search/sentence-encoder.test.ts), routing's (messages.test.ts) and every
  // `aspora up` the CLI tests start run the default.
  const env = { ASPORA_SEARCH_VECTORS: 'words', ...over.env };
  const base = platformConfigFromEnv(env, { port: 0, dataDir });
  // Every route but health asks for a token: the first admin's, the operator's way (ASPORA_ADMIN_TOKEN).
  const token = over.apiToken ?? `test-admin-${randomBytes(24).toString('base64url')}`;
  const config = {
    ...base,
    adminToken: token,
    databaseUrl: over.databaseUrl,
    databaseSchema: over.databaseSchema,
    limits: { ...base.limits, ...(over.maxBundleBytes ? { maxBundleBytes: over.maxBundleBytes } : {}) },
  };
  const p = await startPlatform(
    config,
    createLogger('silent'),
    over.platformYaml ? { platformFile: parsePlatformFile(over.platformYaml, 'aspora.platform.yaml', env) } : {},
  );
  return {
    ...p,
    dataDir,
    token,
    auth: { authorization: `Bearer ${token}` },
    fetch: (path, init = {}) =>
      fetch(`${p.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...Object.fromEntries(new Headers(init.headers)) },
      }),
    async cleanup() {
      await p.close();
      if (!over.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SkillSpec {
  domain?: string;
  role?: string;
  name?: string;
  version?: string;
  description?: string;
  patterns?: string[];
  /** The message trigger's channels (absent: every channel). */
  channels?: string[];
  /** More triggers after the message one, as written in the config (e.g. `{ type: 'command', patterns: [...] }`). */
  triggers?: Record<string, unknown>[];
  extra?: Record<string, string>;
  handler?: string | null;
  /** owner_team (default fraud-team). */
  ownerTeam?: string;
  /** visibility: absent leaves the default (internal). */
  visibility?: 'public' | 'internal' | 'private';
}

export function skillFolder(s: SkillSpec = {}): Map<string, Buffer> {
  const name = s.name ?? 'block-transaction';
  const config = `skill:
  name: ${name}
  domain: ${s.domain ?? 'fraud'}
${s.role ? `  role: ${s.role}\n` : ''}  version: ${s.version ?? '1.0.0'}
  description: ${JSON.stringify(s.description ?? 'Blocks suspicious transactions. Do NOT use for chargebacks or refund disputes.')}
runtime:
  language: typescript
  entry_point: code/handler.ts
triggers:
  - type: message
    patterns: ${JSON.stringify(s.patterns ?? ['fraud', 'block this payment'])}
${s.channels ? `    channels: ${JSON.stringify(s.channels)}\n` : ''}${(s.triggers ?? []).map((t) => `  - ${JSON.stringify(t)}\n`).join('')}permissions:
  tools: [Read]
  secrets: [TRM_API_KEY]
owner_team: ${s.ownerTeam ?? 'fraud-team'}
${s.visibility ? `visibility: ${s.visibility}\n` : ''}`;
  const files: Record<string, string> = {
    'aspora.config.yaml': config,
    'SKILL.md': `---\nname: ${name}\ndescription: ${JSON.stringify(s.description ?? 'Blocks suspicious transactions.')}\n---\n# ${name}\n`,
    'DECISIONS.md': '# Decisions\n',
    'GUARDRAILS.md': '# Guardrails\n',
    'tests/unit/a.test.ts': '',
    ...(s.handler === null
      ? {}
      : { 'code/handler.ts': s.handler ?? 'export const handler = async () => ({ success: true, message: "ok" });\n' }),
    ...s.extra,
  };
  return new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)]));
}

export async function bundle(s: SkillSpec = {}): Promise<Buffer> {
  return (await packFiles(skillFolder(s))).bytes;
}

export function countFiles(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else n++;
    }
  };
  try {
    walk(dir);
  } catch {
    return 0;
  }
  return n;
}

/** A JSON request's init, with a bearer token when given (else tempPlatform's fetch adds the admin's). */
export const jsonInit = (method: string, body: unknown, token?: string): RequestInit => ({
  method,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
});

/** The JSON of a response that must be 2xx (the assertion shows the body otherwise). */
export async function okJson<T>(r: Promise<Response>): Promise<T> {
  const res = await r;
  const text = await res.text();
  assert.ok(res.ok, text);
  return JSON.parse(text) as T;
}

/** A new API token (POST /v1/tokens as p's admin): `body` says for whom, with which scopes and lifetime. */
export async function createToken(
  p: { fetch(path: string, init?: RequestInit): Promise<Response> },
  body: Record<string, unknown>,
): Promise<string> {
  return (await okJson<{ token: string }>(p.fetch('/v1/tokens', jsonInit('POST', body)))).token;
}

/** The `aspora` CLI as a user runs it, against platform `p` with `token` (its config kept in p's data dir). */
export function runCli(
  p: { url: string; dataDir: string },
  token: string,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = new URL('../../cli/bin/aspora.js', import.meta.url).pathname;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args, '--url', p.url, '--token', token], {
      env: { ...process.env, NO_COLOR: '1', ASPORA_CONFIG_DIR: p.dataDir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
