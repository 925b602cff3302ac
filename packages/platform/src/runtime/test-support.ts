/** Runtime tests: a platform core in a temp folder and skills written from a few lines. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import type { Socket } from 'node:net';
import { pino } from 'pino';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { platformConfigFromEnv } from '../config/platform-config.ts';
import { createLogger, type Logger } from '../observe/logger.ts';
import { openPlatformCore } from '../platform.ts';
import { packFiles } from '../store/index.ts';
import { EMPTY_PLATFORM_FILE, parsePlatformFile } from '../config/platform-file.ts';
import type { RuntimeOptions } from './runtime.ts';
import type { BuildSandbox } from './sandbox/build.ts';
import { cgroupManager } from './sandbox/cgroup.ts';
import { probeBwrap } from './sandbox/detect.ts';

export interface TestSkill {
  domain?: string;
  role?: string;
  name: string;
  version?: string;
  language?: 'typescript' | 'python' | 'go';
  handler: string;
  permissions?: string;
  timeout?: string;
  memory?: string;
  /** owner_team (test-team by default). */
  ownerTeam?: string;
  extra?: Record<string, string>;
}

const ENTRY = { typescript: 'code/handler.ts', python: 'code/handler.py', go: 'code/handler.go' };

export function skillFiles(s: TestSkill): Map<string, Buffer> {
  const lang = s.language ?? 'typescript';
  const config = `skill:
  name: ${s.name}
  domain: ${s.domain ?? 'test'}
${s.role ? `  role: ${s.role}\n` : ''}  version: ${s.version ?? '1.0.0'}
  description: "Test skill ${s.name}. Use when testing the runtime."
runtime:
  language: ${lang}
  entry_point: ${ENTRY[lang]}
  timeout: ${s.timeout ?? '10s'}
  memory: ${s.memory ?? '256MB'}
triggers:
  - type: message
    patterns: ["${s.name}"]
permissions:
${s.permissions ?? '  tools: [Read]'}
owner_team: ${s.ownerTeam ?? 'test-team'}
`;
  const files: Record<string, string> = {
    'aspora.config.yaml': config,
    'SKILL.md': `---\nname: ${s.name}\ndescription: Test skill ${s.name}.\n---\n# ${s.name}\n`,
    'DECISIONS.md': '# Decisions\nuse the runtime\n',
    'GUARDRAILS.md': '# Guardrails\n',
    [ENTRY[lang]]: s.handler,
    ...s.extra,
  };
  return new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)]));
}

export interface FixtureOptions extends Partial<RuntimeOptions> {
  /** Shared resource files by tree path (`ecm/shared/queries/x.sql`). */
  shared?: Record<string, string>;
  /** aspora.platform.yaml text (APIs, secrets, web_fetch). */
  platformYaml?: string;
  /** The platform's environment (ASPORA_MODEL_BASE_URL, REDIS_URL, DATABASE_URL …). */
  env?: NodeJS.ProcessEnv;
  /** The server log (silent by default). */
  log?: Logger;
}

export async function runtimeFixture(opts: FixtureOptions = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'aspora-rt-'));
  chmodSync(dataDir, 0o755); // the sandbox user must traverse it
  const sharedRoot = join(dataDir, 'shared-src');
  for (const [rel, text] of Object.entries(opts.shared ?? {})) {
    mkdirSync(dirname(join(sharedRoot, rel)), { recursive: true });
    writeFileSync(join(sharedRoot, rel), text);
  }
  const { shared: _s, platformYaml, env = {}, log = createLogger('silent'), ...runtime } = opts;
  const core = await openPlatformCore(platformConfigFromEnv(env, { dataDir }), log, {
    platformFile: platformYaml ? parsePlatformFile(platformYaml, 'aspora.platform.yaml', env) : EMPTY_PLATFORM_FILE,
    runtime: { sharedRoot, ...runtime },
  });
  return {
    ...core,
    dataDir,
    async deploy(s: TestSkill) {
      const b = await packFiles(skillFiles(s));
      const pub = await core.publisher.publish(Buffer.from(b.bytes));
      await core.publisher.deploy(pub.ref, 'production', pub.version);
      return pub;
    },
    async close() {
      await core.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A pino logger that keeps every line it writes (to assert on the server log). */
export function bufferLogger(): { log: Logger; text: () => string } {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { log, text: () => lines.join('') };
}

/** Line reader over a worker's fd 3, for tests that speak the protocol themselves. */
export function protocolLines(channel: Socket, timeoutMs = 10_000) {
  let buf = '';
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  channel.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      queue.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    wake?.();
  });
  return {
    send: (m: unknown) => channel.write(`${JSON.stringify(m)}\n`),
    async next(): Promise<Record<string, any>> {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        if (Date.now() > deadline) throw new Error(`no message from the worker within ${timeoutMs / 1000} s`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
      return JSON.parse(queue.shift()!) as Record<string, any>;
    },
  };
}

/**
 * A temporary runtime root for the language adapters' tests, laid out as the runtime lays out its
 * own: `build/<digest>` caches; traversable by the sandbox user. Call in before(); remove in after().
 */
export function adapterRoot(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(root, 0o755); // the sandbox user must traverse it
  return {
    root,
    /** A per-"digest" build cache folder (root/build/<name>). */
    cacheDir(name: string): string {
      const d = join(root, 'build', name);
      mkdirSync(d, { recursive: true, mode: 0o755 });
      chmodSync(join(root, 'build'), 0o755);
      return d;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Where the language adapters' tests build: bubblewrap (with cgroups) when usable, as the runtime would. */
export function buildSandbox(): BuildSandbox {
  return probeBwrap().ok ? { mode: 'bwrap', cgroups: cgroupManager() } : { mode: 'unsafe' };
}
