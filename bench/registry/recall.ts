/**
 * Search quality on the example skills: recall@1 / recall@5 and MRR over the labelled query set
 * (bench/registry/search-labelled.json: paraphrases, typos, "do NOT use for" traps).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPlatformCore } from '../../packages/platform/src/platform.ts';
import { platformConfigFromEnv } from '../../packages/platform/src/config/platform-config.ts';
import { createLogger } from '../../packages/platform/src/observe/logger.ts';
import { deployFolders, findSkillFolders } from '../../packages/platform/src/publish/folders.ts';
import { percentile, round } from './stats.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/skills', import.meta.url));
const LABELLED = fileURLToPath(new URL('./search-labelled.json', import.meta.url));

export interface RecallResult {
  queries: number;
  recallAt1: number;
  recallAt5: number;
  mrr: number;
  p50Ms: number;
  p99Ms: number;
  misses: Array<{ query: string; expected: string; got: string[] }>;
}

export async function benchRecall(): Promise<RecallResult> {
  const labelled = JSON.parse(readFileSync(LABELLED, 'utf8')) as Array<{ query: string; expected: string }>;
  const dataDir = mkdtempSync(join(tmpdir(), 'aspora-recall-'));
  const core = await openPlatformCore(platformConfigFromEnv({}, { dataDir }), createLogger('silent'));
  try {
    const deployed = await deployFolders(core.publisher, await findSkillFolders(EXAMPLES), ['production'], 'bench');
    const broken = deployed.filter((d) => d.error);
    if (broken.length)
      throw new Error(`example skills failed to deploy: ${broken.map((b) => `${b.folder}: ${b.error}`).join('; ')}`);
    let at1 = 0;
    let at5 = 0;
    let rr = 0;
    const times: number[] = [];
    const misses: RecallResult['misses'] = [];
    for (const { query, expected } of labelled) {
      const t = performance.now();
      const hits = await core.registry.searchSkills(query, { limit: 5 });
      times.push(performance.now() - t);
      const refs = hits.map((h) => h.skill.ref);
      const rank = refs.indexOf(expected);
      if (rank === 0) at1++;
      if (rank >= 0) {
        at5++;
        rr += 1 / (rank + 1);
      }
      if (rank !== 0) misses.push({ query, expected, got: refs.slice(0, 3) });
    }
    const n = labelled.length;
    return {
      queries: n,
      recallAt1: round(at1 / n, 3),
      recallAt5: round(at5 / n, 3),
      mrr: round(rr / n, 3),
      p50Ms: round(percentile(times, 50)),
      p99Ms: round(percentile(times, 99)),
      misses,
    };
  } finally {
    await core.db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
