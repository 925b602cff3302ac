/**
 * The message and command patterns of the skills deployed in an environment, and which of them a
 * text matches. A message pattern is a phrase ("my tickets", "block this payment"): it matches a
 * text that contains its words in order, whole words, whatever the case and punctuation. A command
 * pattern ("@ecm-manager assign", "run triage") matches a text that starts with its words; what
 * follows is the command's arguments. A trigger's `channels` limits the channels whose messages it
 * matches. The table is read from the registry at most every REFRESH_MS (routing a message must
 * not cost a query per skill).
 */
import type { Db } from '../db/types.ts';

const REFRESH_MS = 2_000;
/** Longest text of a pattern that is compared (a config's pattern is short; this bounds the work). */
const MAX_PATTERN_CHARS = 200;
/** The channel of a message that names none (POST /v1/messages, `aspora send` without --channel). */
export const DEFAULT_CHANNEL = 'api';

export interface PatternHit {
  ref: string;
  pattern: string;
  /** Words of the pattern that matched: the longer phrase is the more specific match. */
  words: number;
}

export interface CommandHit extends PatternHit {
  /** The text after the command's words, as written (case and punctuation kept). */
  args: string;
}

/** Where a message came from, as far as matching cares. */
export interface MessageSource {
  /** The message's channel (`slack:C0123`, `web`); none is DEFAULT_CHANNEL. */
  channel?: string | undefined;
  /**
   * Sent to the app itself (a Slack mention of the app leading the message, a slash command): the
   * app stands for a command's leading `@name`, so `<@UBOT> triage` matches `@ecm-manager triage`.
   */
  addressed?: boolean | undefined;
}

interface Entry {
  ref: string;
  type: 'message' | 'command';
  pattern: string;
  norm: string;
  words: number;
  /** A command's words after its leading `@name` (null: it has none, or nothing follows it). */
  rest: { norm: string; words: number } | null;
  /** Channel kinds it matches from; empty: every channel. */
  channels: string[];
}

/** Lowercase words separated by single spaces, padded, so `includes(' my tickets ')` is a phrase test. */
export function normalize(text: string): string {
  return ` ${words(text).join(' ')} `;
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}@._-]+/u)
    .map((w) => w.replace(/^[._-]+|[._-]+$/g, ''))
    .filter(Boolean);
}

/** The kind of a message's channel: `slack:C0123` → slack; none → api. */
export function channelKind(channel: string | undefined): string {
  const kind = channel?.split(':', 1)[0]?.trim().toLowerCase();
  return kind || DEFAULT_CHANNEL;
}

/**
 * The text after its first `n` words (as normalize counts them), as written. Found by walking the
 * written words; should case folding ever split a word differently, the normalized words after
 * the n-th stand in (the arguments lose their case, not their words).
 */
export function afterWords(text: string, n: number): string {
  const s = text.normalize('NFKC');
  let counted = 0;
  let end = 0;
  for (const m of s.matchAll(/[\p{L}\p{N}@._-]+/gu)) {
    if (counted === n) break;
    if (!m[0].replace(/^[._-]+|[._-]+$/g, '')) continue;
    counted++;
    end = m.index + m[0].length;
  }
  const all = words(text);
  if (counted === n && words(s.slice(0, end)).join(' ') === all.slice(0, n).join(' '))
    return s
      .slice(end)
      .replace(/^[\s:,;]+/u, '')
      .trim();
  return all.slice(n).join(' ');
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
      .query<{ ref: string; type: 'message' | 'command'; patterns: string[]; channels: string[] }>(
        `SELECT s.domain || '/' || s.name AS ref, t.type, t.patterns, t.channels
           FROM environments e
           JOIN skills s ON s.id = e.skill_id
           JOIN skill_triggers t ON t.version_id = e.version_id
          WHERE e.name = $1 AND t.type IN ('message', 'command') AND t.enabled`,
        [environment],
      )
      .then((rows) =>
        rows
          .flatMap((r) =>
            r.patterns.map((pattern): Entry => {
              const w = words(pattern.slice(0, MAX_PATTERN_CHARS));
              const rest = r.type === 'command' && w.length > 1 && w[0]!.startsWith('@') ? w.slice(1) : null;
              return {
                ref: r.ref,
                type: r.type,
                pattern,
                norm: ` ${w.join(' ')} `,
                words: w.length,
                rest: rest ? { norm: ` ${rest.join(' ')} `, words: rest.length } : null,
                channels: (r.channels ?? []).map((c) => c.toLowerCase()),
              };
            }),
          )
          .filter((e) => e.words > 0),
      );
    entries.catch(() => this.#tables.delete(environment));
    this.#tables.set(environment, { at: Date.now(), entries });
    return entries;
  }

  /** Each skill's longest matching message pattern, most specific first. */
  async match(
    text: string,
    environment: string,
    visible: (ref: string) => boolean,
    from: MessageSource = {},
  ): Promise<PatternHit[]> {
    const t = normalize(text);
    return this.#longest(environment, visible, from, (e) => (e.type === 'message' && t.includes(e.norm) ? e.words : 0));
  }

  /**
   * Each skill's longest command the text starts with, most specific first: the command's words
   * as written (`@ecm-manager triage …`), or — for a message sent to the app itself — its words
   * after the leading `@name` (`triage …`).
   */
  async commands(
    text: string,
    environment: string,
    visible: (ref: string) => boolean,
    from: MessageSource = {},
  ): Promise<CommandHit[]> {
    const t = normalize(text);
    const hits = await this.#longest(environment, visible, from, (e) =>
      e.type !== 'command'
        ? 0
        : t.startsWith(e.norm)
          ? e.words
          : from.addressed && e.rest && t.startsWith(e.rest.norm)
            ? e.rest.words
            : 0,
    );
    return hits.map((h) => ({ ...h, args: afterWords(text, h.words) }));
  }

  /** Per skill, the entry `wordsOf` scores highest (0: no match) among those its channel and the user allow. */
  async #longest(
    environment: string,
    visible: (ref: string) => boolean,
    from: MessageSource,
    wordsOf: (e: Entry) => number,
  ): Promise<PatternHit[]> {
    const kind = channelKind(from.channel);
    const best = new Map<string, PatternHit>();
    for (const e of await this.entries(environment)) {
      const words = fromChannel(e, kind) ? wordsOf(e) : 0;
      if (!words || !visible(e.ref)) continue;
      const prev = best.get(e.ref);
      if (!prev || words > prev.words) best.set(e.ref, { ref: e.ref, pattern: e.pattern, words });
    }
    return [...best.values()].sort((a, b) => b.words - a.words || a.ref.localeCompare(b.ref));
  }
}

const fromChannel = (e: Entry, kind: string) => !e.channels.length || e.channels.includes(kind);
