/**
 * The labelled discovery set (skills.txt): skills with descriptions and their authors' example
 * requests, and user requests labelled with the right skill. The tuning / held-out split is fixed
 * by a hash of the request text, decided before any tuning: first byte of sha256 even → tuning.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitNegative } from '../../packages/sdk/src/bundle/search-text.ts';
import type { RegisterVersionInput } from '../../packages/platform/src/registry/types.ts';

export interface LabelledSkill {
  domain: string;
  name: string;
  description: string;
  examples: string[];
}

export interface LabelledRequest {
  text: string;
  expected: string;
  half: 'tuning' | 'heldout';
}

export const SKILLS_FILE = fileURLToPath(new URL('./skills.txt', import.meta.url));

export function halfOf(text: string): LabelledRequest['half'] {
  return createHash('sha256').update(text).digest()[0]! % 2 === 0 ? 'tuning' : 'heldout';
}

export function loadDataset(file = SKILLS_FILE): { skills: LabelledSkill[]; requests: LabelledRequest[] } {
  const skills: LabelledSkill[] = [];
  const requests: LabelledRequest[] = [];
  let cur: LabelledSkill | undefined;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    const head = /^# ([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(line);
    if (head) {
      cur = { domain: head[1]!, name: head[2]!, description: '', examples: [] };
      skills.push(cur);
    } else if (!cur || !line || line.startsWith('#')) {
    } else if (line.startsWith('e: ')) cur.examples.push(line.slice(3));
    else if (line.startsWith('q: ')) {
      const text = line.slice(3);
      requests.push({ text, expected: `${cur.domain}/${cur.name}`, half: halfOf(text) });
    } else cur.description = line;
  }
  return { skills, requests };
}

/** A registry input for a labelled skill, as a deploy would build it from the skill's folder. */
export function registerInput(s: LabelledSkill): RegisterVersionInput {
  const { positive, negative } = splitNegative(s.description);
  const version = '1.0.0';
  return {
    domain: s.domain,
    name: s.name,
    role: null,
    version,
    description: s.description,
    ownerTeam: `${s.domain}-team`,
    visibility: 'internal',
    costCenter: s.domain,
    runtime: { language: 'typescript', entryPoint: 'code/handler.ts', timeoutMs: 30_000, memoryMb: 512, cpu: 0.5 },
    model: {
      primary: null,
      fallback: null,
      temperature: null,
      maxTokens: null,
      maxCostPerExecution: null,
      monthlyLimit: null,
    },
    config: { skill: { domain: s.domain, name: s.name, version, description: s.description } },
    frontmatter: { name: s.name, description: s.description },
    search: { name: s.name, description: positive, negative, patterns: [], examples: s.examples },
    triggers: [],
    permissions: [],
    bundle: {
      digest: `sha256:${createHash('sha256').update(`${s.domain}/${s.name}@${version}`).digest('hex')}`,
      size: 1000,
      fileCount: 3,
    },
    actor: 'bench',
  };
}
