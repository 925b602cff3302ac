/**
 * The message patterns of the skills deployed in an environment, and which of them a text
 * matches. A pattern is a phrase ("my tickets", "block this payment"): it matches a text that
 * contains its words in order, whole words, whatever the case and punctuation. The table is read
 * from the registry at most every REFRESH_MS (routing a message must not cost a query per skill).
 */
import type { Db } from '../db/types.ts';

const REFRESH_MS = 2_000;
/** Longest text of a pattern that is compared (a config's pattern is short; this bounds the work). */
const MAX_PATTERN_CHARS = 200;

export interface PatternHit {
  ref: string;
  pattern: string;
  /** Words of the pattern: the longer phrase is the more specific match. */
  words: number;
}

interface Entry {
  ref: string;
  pattern: string;
  norm: string;
  words: number;
}

/** Lowercase words separated by single spaces, padded, so `includes(' my tickets ')` is a phrase test. */
export function normalize(text: string): string {
  const words = text
    .toLowerCase()
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}@._-]+/u)
    .map((w) => w.replace(/^[._-]+|[._-]+$/g, ''))
    .filter(Boolean);
  return ` ${words.join(' ')} `;
}

export class MessagePatterns {
  readonly #tables = new Map<string, { at: number; entries: Promise<Entry[]> }>();

  constructor(
    private readonly db: Db,
    private readonly refreshMs = REFRESH_MS,
  ) {}

  private entries(environment: string): Promise<Entry[]> {
    const hit = this.#tables.get(environment);
    if (hit && Date.now() - hit.at < this.refreshMs) return hit.entries;
    const entries = this.db
      .query<{ ref: string; patterns: string[] }>(
        `SELECT s.domain || '/' || s.name AS ref, t.patterns
           FROM environments e
           JOIN skills s ON s.id = e.skill_id
           JOIN skill_triggers t ON t.version_id = e.version_id
          WHERE e.name = $1 AND t.type = 'message' AND t.enabled`,
        [environment],
      )
      .then((rows) =>
        rows
          .flatMap((r) =>
            r.patterns.map((pattern) => {
              const norm = normalize(pattern.slice(0, MAX_PATTERN_CHARS));
              return { ref: r.ref, pattern, norm, words: norm.trim().split(' ').filter(Boolean).length };
            }),
          )
          .filter((e) => e.words > 0),
      );
    entries.catch(() => this.#tables.delete(environment));
    this.#tables.set(environment, { at: Date.now(), entries });
    return entries;
  }

  /** Each skill's longest matching pattern, most specific first. */
  async match(text: string, environment: string, visible: (ref: string) => boolean): Promise<PatternHit[]> {
    const t = normalize(text);
    const best = new Map<string, PatternHit>();
    for (const e of await this.entries(environment)) {
      if (!t.includes(e.norm) || !visible(e.ref)) continue;
      const prev = best.get(e.ref);
      if (!prev || e.words > prev.words) best.set(e.ref, { ref: e.ref, pattern: e.pattern, words: e.words });
    }
    return [...best.values()].sort((a, b) => b.words - a.words || a.ref.localeCompare(b.ref));
  }
}
