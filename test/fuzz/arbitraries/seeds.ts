/** Valid documents the mutations start from: the example skills, the `aspora create` scaffold, the example platform file. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { skillFiles, type Lang } from '../../../packages/cli/src/templates/skill.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function exampleSkills(): { config: string; skillMd: string; folder: string }[] {
  const out: { config: string; skillMd: string; folder: string }[] = [];
  const base = join(ROOT, 'examples/skills');
  for (const domain of readdirSync(base)) {
    for (const name of readdirSync(join(base, domain))) {
      const dir = join(base, domain, name);
      try {
        out.push({
          config: readFileSync(join(dir, 'aspora.config.yaml'), 'utf8'),
          skillMd: readFileSync(join(dir, 'SKILL.md'), 'utf8'),
          folder: name,
        });
      } catch {
        /* not a skill folder */
      }
    }
  }
  return out;
}

function scaffolds(): { config: string; skillMd: string; folder: string }[] {
  return (['typescript', 'python', 'go'] as Lang[]).map((lang, i) => {
    const f = skillFiles({
      domain: 'fuzz',
      name: `made-by-${lang}`,
      lang,
      team: 'fuzz-team',
      schemaRef: 'schema.json',
      ...(i === 1 ? { role: 'field' } : {}),
    });
    return { config: f['aspora.config.yaml']!, skillMd: f['SKILL.md']!, folder: `made-by-${lang}` };
  });
}

export const SKILL_SEEDS = [...exampleSkills(), ...scaffolds()];

export const PLATFORM_FILE_SEED = readFileSync(join(ROOT, 'examples/aspora.platform.yaml'), 'utf8');
