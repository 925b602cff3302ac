/** Runtime tests: a platform core in a temp folder and skills written from a few lines. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { platformConfigFromEnv } from '../config/platform-config.ts';
import { createLogger } from '../observe/logger.ts';
import { openPlatformCore } from '../platform.ts';
import { packFiles } from '../store/index.ts';
import { SkillRuntime, type RuntimeOptions } from './runtime.ts';

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
owner_team: test-team
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

export async function runtimeFixture(opts: Partial<RuntimeOptions> & { shared?: Record<string, string> } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'aspora-rt-'));
  chmodSync(dataDir, 0o755); // the sandbox user must traverse it
  const sharedRoot = join(dataDir, 'shared-src');
  for (const [rel, text] of Object.entries(opts.shared ?? {})) {
    mkdirSync(dirname(join(sharedRoot, rel)), { recursive: true });
    writeFileSync(join(sharedRoot, rel), text);
  }
  const log = createLogger('silent');
  const core = await openPlatformCore(platformConfigFromEnv({}, { dataDir }), log);
  const runtime = new SkillRuntime(core.registry, core.store, log, { dataDir, sharedRoot, ...opts });
  return {
    ...core,
    runtime,
    dataDir,
    async deploy(s: TestSkill) {
      const b = await packFiles(skillFiles(s));
      const pub = await core.publisher.publish(Buffer.from(b.bytes));
      await core.publisher.deploy(pub.ref, 'production', pub.version);
      return pub;
    },
    async close() {
      runtime.close();
      await core.db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
