/**
 * Scrubs secret values out of what is recorded or returned: each occurrence becomes
 * `[secret:NAME]`. One per execution, built from the secrets handed to it and the platform's own
 * credentials. Rules:
 * - a value is matched as it is, JSON-escaped (`"`, `\`, control characters: what a handler that
 *   prints JSON writes) and ASCII-escaped (`\u00e9`: Python's json.dumps default);
 * - a value of 8 characters or more is replaced wherever it appears; a shorter one only as a whole
 *   token (not next to a letter, digit or `_`): "mine" is scrubbed from "key=mine", not from
 *   "determine" — a short value anywhere would shred every record, and is no real secret anyway;
 * - the empty value is never matched.
 * It is a net for accidents (a print, a log line, an error): a handler holding a secret can still
 * transform it (reverse it, encode it) before writing it out.
 */
export interface SecretValue {
  name: string;
  value: string;
}

/** Values shorter than this are matched as whole tokens only. */
export const MIN_SUBSTRING_SECRET = 8;
/** Deeper than this (values are depth-checked long before), a value is replaced whole. */
const MAX_DEPTH = 256;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const jsonEscaped = (s: string) => JSON.stringify(s).slice(1, -1);
const asciiEscaped = (s: string) =>
  jsonEscaped(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export class Redactor {
  static readonly NONE = new Redactor([]);

  readonly secrets: readonly SecretValue[];
  /** The longest text one match can span: a cut that keeps this much more never halves a secret. */
  readonly longest: number;
  readonly #re: RegExp | undefined;
  readonly #marker = new Map<string, string>();

  constructor(secrets: Iterable<SecretValue>) {
    const seen = new Set<string>();
    this.secrets = [...secrets].filter((s) => s.value !== '' && !seen.has(s.value) && seen.add(s.value));
    const forms: Array<{ text: string; short: boolean }> = [];
    for (const { name, value } of this.secrets) {
      const short = value.length < MIN_SUBSTRING_SECRET;
      for (const text of new Set([value, jsonEscaped(value), asciiEscaped(value)])) {
        if (this.#marker.has(text)) continue;
        this.#marker.set(text, `[secret:${name}]`);
        forms.push({ text, short });
      }
    }
    forms.sort((a, b) => b.text.length - a.text.length);
    this.longest = forms[0]?.text.length ?? 0;
    // One alternation, one pass: a marker is never matched again by another secret.
    this.#re = forms.length
      ? new RegExp(
          forms
            .map((f) => (f.short ? `(?<![A-Za-z0-9_])${escapeRe(f.text)}(?![A-Za-z0-9_])` : escapeRe(f.text)))
            .join('|'),
          'g',
        )
      : undefined;
  }

  get active(): boolean {
    return this.#re !== undefined;
  }

  /** The same secrets and these (a child execution keeps scrubbing its parent's). */
  with(more: Iterable<SecretValue>): Redactor {
    const extra = [...more];
    return extra.length ? new Redactor([...this.secrets, ...extra]) : this;
  }

  text(s: string): string {
    return this.#re && s ? s.replace(this.#re, (m) => this.#marker.get(m)!) : s;
  }

  /** A copy with every string (and key) scrubbed; the value itself when there is nothing to scrub. */
  value<T>(v: T): T {
    return this.#re ? (this.#walk(v, 0) as T) : v;
  }

  #walk(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return this.text(v);
    if (v === null || typeof v !== 'object') return v;
    if (depth > MAX_DEPTH) return '[nested too deep]';
    if (Array.isArray(v)) return v.map((x) => this.#walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[this.text(k)] = this.#walk(x, depth + 1);
    return out;
  }
}
