/**
 * Fields of aspora.config.yaml that the schema accepts and the registry stores, but that the
 * platform does not act on yet. A config that sets one gets a warning ("accepted, not acted on
 * yet: cost_center") from `aspora validate`, `aspora deploy` and the API, so nobody
 * believes their cron fires or their row rules protect data. Written once: the CLI, the server and
 * docs/skill-format.md use this list. An entry leaves the list in the change that makes it work;
 * schema-coverage.test.ts fails on any schema field that is neither here nor acted on.
 *
 * Paths: `a.b` keys, `[]` any array element, `[cron]` an array element whose `type` is cron,
 * `*` any key of a record.
 */
import type { Issue } from '../errors/index.ts';
import { formatPath } from '../yaml/validate.ts';
import { locate, type ParsedYaml } from '../yaml/locate.ts';
import { boundIssues, YAML_LIMITS } from '../yaml/limits.ts';

export interface NotActedOn {
  path: string;
  /** What is missing, for the warning's hint and the docs. */
  why: string;
  /** Only values this accepts are warned about (the field itself is acted on for others). */
  when?: (value: unknown) => boolean;
  /** How the docs name the values `when` picks. */
  values?: string;
}

const isUrlGlob = (v: unknown) => typeof v === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(v);

export const NOT_ACTED_ON: readonly NotActedOn[] = [
  {
    path: 'permissions.tools[]',
    when: (v) => v === 'Glob',
    values: 'Glob',
    why: 'the Glob tool is not implemented; list files with Read on a folder or Grep',
  },
  {
    path: 'permissions.shared_resources[]',
    when: isUrlGlob,
    values: 's3://… (any URL)',
    why: "resource globs are paths below the skill's parent folder; URLs (s3://) match nothing",
  },
  {
    path: 'permissions.blocked_resources[]',
    when: isUrlGlob,
    values: 's3://… (any URL)',
    why: "resource globs are paths below the skill's parent folder; URLs (s3://) block nothing",
  },
  { path: 'testing.deepeval', why: '`aspora test` runs the tests in tests/; it does not run DeepEval metrics' },
  {
    path: 'testing.promptfoo',
    why: '`aspora test` does not run promptfoo (`aspora feedback export` writes promptfoo cases)',
  },
  {
    path: 'versioning.shadow_config.output_diff_tool',
    why: 'the shadow report uses the built-in keyed JSON diff (docs/releases.md); no external diff tool is run',
  },
  { path: 'cost_center', why: 'stored and shown, but no cost report groups by cost center' },
];

/**
 * Fields written for people, which the platform stores and shows but has nothing to do with.
 * They never change behaviour, so they get no warning (a required one could not be silenced).
 */
export const DESCRIPTIVE: readonly { path: string; why: string }[] = [
  { path: 'monitoring.custom_metrics[].description', why: 'documents the metric for whoever reads the config' },
];

type Seg = { key: string } | { each: true; type?: string } | { anyKey: true };

export function parseFieldPath(path: string): Seg[] {
  const out: Seg[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (m[1] === '*') out.push({ anyKey: true });
    else if (m[1] !== undefined) out.push({ key: m[1] });
    else out.push(m[2] ? { each: true, type: m[2] } : { each: true });
  }
  return out;
}

export interface NotActedOnHit {
  entry: NotActedOn;
  /** Concrete path in the config, e.g. ['triggers', 2]. */
  path: (string | number)[];
  value: unknown;
}

/** The not-acted-on fields a config sets, read from what the user wrote (defaults do not count). */
export function findNotActedOn(input: unknown): NotActedOnHit[] {
  const hits: NotActedOnHit[] = [];
  for (const entry of NOT_ACTED_ON) {
    const walk = (v: unknown, segs: Seg[], at: (string | number)[]) => {
      if (v === undefined || v === null) return;
      const [s, ...rest] = segs;
      if (!s) {
        if (!entry.when || entry.when(v)) hits.push({ entry, path: at, value: v });
        return;
      }
      if ('key' in s) {
        if (typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, s.key))
          walk((v as Record<string, unknown>)[s.key], rest, [...at, s.key]);
      } else if ('each' in s) {
        if (!Array.isArray(v)) return;
        v.forEach((el: unknown, i) => {
          if (s.type && (typeof el !== 'object' || el === null || (el as { type?: unknown }).type !== s.type)) return;
          walk(el, rest, [...at, i]);
        });
      } else if (typeof v === 'object' && !Array.isArray(v)) {
        for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], rest, [...at, k]);
      }
    };
    walk(input, parseFieldPath(entry.path), []);
  }
  return hits;
}

export const NOT_ACTED_ON_MESSAGE = 'accepted, not acted on yet';

/** One warning per not-acted-on field the config sets, positioned like validation errors. */
export function notActedOnWarnings(parsed: ParsedYaml, file: string, lineOffset = 0): Issue[] {
  const hits = findNotActedOn(parsed.value);
  // Only as many as are shown are positioned (each locate scans its maps).
  const shown = hits.slice(0, YAML_LIMITS.maxIssues).map((h) => {
    const last = h.path[h.path.length - 1];
    // A map key is shown where the key is written; an array element where it starts.
    const pos =
      typeof last === 'string'
        ? locate(parsed, h.path.slice(0, -1), last, lineOffset)
        : locate(parsed, h.path, undefined, lineOffset);
    const dotted = formatPath(h.path);
    const what =
      h.entry.path.startsWith('triggers[') && typeof last === 'number'
        ? ` (type: ${String((h.value as { type: unknown }).type)})`
        : h.entry.when
          ? ` (${JSON.stringify(h.value).slice(0, 80)})`
          : '';
    return {
      file,
      ...(pos ?? {}),
      path: dotted,
      message: `${NOT_ACTED_ON_MESSAGE}: ${dotted}${what}`,
      hint: h.entry.why,
    };
  });
  shown.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return boundIssues(shown, file, hits.length);
}
