/**
 * The message and command patterns of the skills deployed in an environment, and which of them a
 * text matches. A message pattern is a phrase ("my tickets", "block this payment"): it matches a
 * text that contains its words in order, whole words, whatever the case and punctuation. A command
 * pattern ("@ecm-manager assign", "run triage") matches a text that starts with its words; what
 * follows is the command's arguments. A command pattern that starts with `/` ("/ecm-dashboard",
 * "/ecm assign") names a slash command: it matches only a message its channel says was that slash
 * command, whose text starts with the pattern's words after the name. A trigger's `channels`
 * limits the channels whose messages it matches. The table is read from the registry at most every
 * REFRESH_MS (routing a message must not cost a query per skill).
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
  /**
   * The slash command the message was (`/ecm-dashboard`; its text is what followed the name). Only
   * a channel that knows says so (Slack's signed request): no sender can claim it in the text.
   */
  slash?: string | undefined;
}

/** A slash command's name as Slack sends it (`/ecm`): bounded, no spaces or further slashes. */
const SLASH_NAME = /^\/[^\s/]{1,63}$/u;

/** A slash command's name as it is compared (lowercase), or undefined when it is none. */
export function slashName(name: string | undefined): string | undefined {
  const n = name?.trim().normalize('NFKC').toLowerCase();
  return n && SLASH_NAME.test(n) ? n : undefined;
}

interface Entry {
  ref: string;
  type: 'message' | 'command';
  pattern: string;
  norm: string;
  words: number;
  /** A command's words after its leading `@name` (null: it has none, or nothing follows it). */
  rest: { norm: string; words: number } | null;
  /**
   * A command naming a slash command (`/ecm assign`): the name, and the words that must start the
   * command's text (none: every use of the command). Its `words` count the name as one.
   */
  slash: { name: string; rest: { norm: string; words: number } } | null;
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
              const text = pattern.slice(0, MAX_PATTERN_CHARS);
              const w = words(text);
              const rest = r.type === 'command' && w.length > 1 && w[0]!.startsWith('@') ? w.slice(1) : null;
              const [first = '', ...after] = text.trim().split(/\s+/);
              const name = r.type === 'command' ? slashName(first) : undefined;
              const slashRest = name ? words(after.join(' ')) : [];
              return {
                ref: r.ref,
                type: r.type,
                pattern,
                norm: ` ${w.join(' ')} `,
                words: name ? 1 + slashRest.length : w.length,
                rest: rest ? { norm: ` ${rest.join(' ')} `, words: rest.length } : null,
                slash: name ? { name, rest: { norm: ` ${slashRest.join(' ')} `, words: slashRest.length } } : null,
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
    const hits = await this.#longest(environment, visible, from, (e) =>
      e.type === 'message' && t.includes(e.norm) ? e.words : 0,
    );
    return hits.map(({ ref, pattern, words }) => ({ ref, pattern, words }));
  }

  /**
   * Each skill's longest command the text starts with, most specific first: the command's words
   * as written (`@ecm-manager triage …`), or — for a message sent to the app itself — its words
   * after the leading `@name` (`triage …`), or — for a slash command — a command naming it, whose
   * words after the name start the text (`/ecm-dashboard` with any text, `/ecm assign` with `assign …`).
   */
  async commands(
    text: string,
    environment: string,
    visible: (ref: string) => boolean,
    from: MessageSource = {},
  ): Promise<CommandHit[]> {
    const t = normalize(text);
    const slash = slashName(from.slash);
    const hits = await this.#longest(environment, visible, from, (e) =>
      e.type !== 'command'
        ? 0
        : e.slash
          ? // Never from the text: only the channel says which slash command a message was.
            slash === e.slash.name && (!e.slash.rest.words || t.startsWith(e.slash.rest.norm))
            ? e.words
            : 0
          : t.startsWith(e.norm)
            ? e.words
            : from.addressed && e.rest && t.startsWith(e.rest.norm)
              ? e.rest.words
              : 0,
    );
    // The arguments follow the words the text matched: a slash command's name is not in its text.
    return hits.map(({ entry, ...h }) => ({
      ...h,
      args: afterWords(text, entry.slash ? entry.slash.rest.words : h.words),
    }));
  }

  /**
   * Whether a command of a skill deployed in `environment` is this slash command's name alone
   * (`/ecm-dashboard`): the only kind that can match the command used with no text.
   */
  async takesBareSlash(name: string, environment: string): Promise<boolean> {
    const n = slashName(name);
    return !!n && (await this.entries(environment)).some((e) => e.slash?.name === n && !e.slash.rest.words);
  }

  /** Per skill, the entry `wordsOf` scores highest (0: no match) among those its channel and the user allow. */
  async #longest(
    environment: string,
    visible: (ref: string) => boolean,
    from: MessageSource,
    wordsOf: (e: Entry) => number,
  ): Promise<Array<PatternHit & { entry: Entry }>> {
    const kind = channelKind(from.channel);
    const best = new Map<string, PatternHit & { entry: Entry }>();
    for (const e of await this.entries(environment)) {
      const words = fromChannel(e, kind) ? wordsOf(e) : 0;
      if (!words || !visible(e.ref)) continue;
      const prev = best.get(e.ref);
      if (!prev || words > prev.words) best.set(e.ref, { ref: e.ref, pattern: e.pattern, words, entry: e });
    }
    return [...best.values()].sort((a, b) => b.words - a.words || a.ref.localeCompare(b.ref));
  }
}

const fromChannel = (e: Entry, kind: string) => !e.channels.length || e.channels.includes(kind);
