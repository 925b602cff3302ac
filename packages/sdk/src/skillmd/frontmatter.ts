/**
 * SKILL.md follows the Agent Skills format so the same folder works in other tools that read skills:
 * frontmatter holds only name, description, license, compatibility, metadata and allowed-tools.
 * Platform fields belong in aspora.config.yaml.
 */
import { z } from 'zod';
import { MAX_SLUG_LENGTH, SLUG } from '@aspora/api';
import type { Issue } from '../errors/index.ts';
import { validateYaml } from '../yaml/validate.ts';

export const SkillMdFrontmatterSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(MAX_SLUG_LENGTH)
    // The skill's name is part of its reference: the same rule as the API's.
    .regex(SLUG, { error: 'name must be 1–64 lowercase letters, digits and single hyphens' }),
  description: z.string().min(1).max(1024),
  license: z.string().min(1).optional(),
  compatibility: z.string().min(1).max(500).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  'allowed-tools': z.string().min(1).optional().describe('Space-delimited list of pre-approved tools.'),
});

export type SkillMdFrontmatter = z.output<typeof SkillMdFrontmatterSchema>;

export interface SkillMd {
  frontmatter: SkillMdFrontmatter;
  body: string;
}

const FENCE = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

export function parseSkillMd(text: string, file = 'SKILL.md'): { value?: SkillMd; issues: Issue[] } {
  const m = FENCE.exec(text);
  if (!m) {
    return {
      issues: [
        {
          file,
          line: 1,
          column: 1,
          message: 'SKILL.md must start with YAML frontmatter between --- lines',
          hint: 'begin the file with:\n---\nname: <folder-name>\ndescription: <what it does and when to use it>\n---',
        },
      ],
    };
  }
  // Frontmatter starts on line 2 of the file.
  const res = validateYaml(SkillMdFrontmatterSchema, m[1] ?? '', file, 1);
  const issues = res.issues.map((i) =>
    i.message.startsWith('unknown key')
      ? { ...i, hint: `${i.hint ?? ''}; platform settings belong in aspora.config.yaml`.replace(/^; /, '') }
      : i,
  );
  if (!res.value) return { issues };
  return { value: { frontmatter: res.value, body: text.slice(m[0].length) }, issues };
}
