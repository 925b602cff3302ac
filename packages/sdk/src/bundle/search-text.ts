/**
 * What discovery search indexes for a skill. A description's "Do NOT use for …" part is split off
 * so that it never ranks the skill up for the very requests it sends elsewhere.
 */
import type { SkillConfig } from '../config/schema.ts';

export interface SearchText {
  name: string;
  description: string;
  negative: string;
  patterns: string[];
  examples: string[];
}

const NEGATIVE_START = /\b(?:do\s+not|don['’]t|never)\s+use\b|\bnot\s+for\s*:|\bnot\s+to\s+be\s+used\b/i;

/** Split a description into its positive text and its "Do NOT use for …" sentences. */
export function splitNegative(description: string): { positive: string; negative: string } {
  const positive: string[] = [];
  const negative: string[] = [];
  // Sentences, or lines when the author wrote one clause per line.
  for (const part of description.split(/(?<=[.!?])\s+|\r?\n+/)) {
    const s = part.trim();
    if (!s) continue;
    const at = s.search(NEGATIVE_START);
    if (at === -1) positive.push(s);
    else {
      if (at > 0) positive.push(s.slice(0, at).trim());
      negative.push(s.slice(at));
    }
  }
  return { positive: positive.join(' '), negative: negative.join(' ') };
}

/** Bullets under a "## Example requests" (or "## Examples") heading of SKILL.md. */
export function exampleRequests(body: string): string[] {
  const out: string[] = [];
  let inSection = false;
  for (const line of body.split(/\r?\n/)) {
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      inSection = /^example(s| requests?)\b/i.test(h[2]!.trim());
      continue;
    }
    const b = inSection ? /^\s*[-*+]\s+(.+)$/.exec(line) : null;
    if (b) out.push(b[1]!.trim().replace(/^["“'`](.*)["”'`]$/, '$1'));
  }
  return out;
}

export function searchText(config: SkillConfig, skillMdBody: string, skillMdDescription?: string): SearchText {
  const { positive, negative } = splitNegative(config.skill.description);
  const md = skillMdDescription ? splitNegative(skillMdDescription) : { positive: '', negative: '' };
  const patterns = (config.triggers ?? []).flatMap((t) => ('patterns' in t ? t.patterns : []));
  return {
    name: config.skill.name,
    description: dedupeJoin(positive, md.positive),
    negative: dedupeJoin(negative, md.negative),
    patterns,
    examples: exampleRequests(skillMdBody),
  };
}

function dedupeJoin(a: string, b: string): string {
  if (!b || a.includes(b)) return a;
  if (!a || b.includes(a)) return b;
  return `${a} ${b}`;
}
