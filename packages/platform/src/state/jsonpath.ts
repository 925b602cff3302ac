/**
 * A resolved row rule as an SQL/JSON path predicate, the form row-level security evaluates: the
 * policies test `data @? <path>`, which PostgreSQL runs in C, parsed once per statement (an
 * interpreter of the rule in SQL cost ~10 µs a row). The path is built here from the rule's
 * columns and values, each a JSON string literal, so nothing a skill wrote is read as syntax.
 *
 * Comparisons follow the host's evaluator (rowMatches: cells compare as text): a value that is a
 * number or a boolean in text matches the cell holding that number or boolean as well as the text.
 */
import { cellText, type ResolvedRule } from '@aspora/sdk';

export const NOTHING = 'strict $ ? (1 == 0)';
export const EVERYTHING = 'strict $';

const str = (s: string) => JSON.stringify(s);

/**
 * `@."column" == value`, for each JSON type the value's text could stand for. Strict mode makes a
 * comparison of two types an error (unknown), so each is guarded by the cell's type: `false &&
 * unknown` is false, and an unknown never turns into a match.
 */
function equals(col: string, v: string): string {
  const forms = [`(${col}.type() == "string" && ${col} == ${str(v)})`];
  const n = Number(v);
  if (v.trim() !== '' && Number.isFinite(n) && cellText(n) === v)
    forms.push(`(${col}.type() == "number" && ${col} == ${v})`);
  if (v === 'true' || v === 'false') forms.push(`(${col}.type() == "boolean" && ${col} == ${v})`);
  return forms.length === 1 ? forms[0]! : `(${forms.join(' || ')})`;
}

export function toJsonPath(rule: ResolvedRule): string {
  if (rule.length === 0) return NOTHING;
  if (rule.some((alt) => alt.length === 0)) return EVERYTHING;
  const alts = rule.map((alt) =>
    alt
      .map((t) => {
        const col = `@.${str(t.c)}`;
        if ('in' in t) return `(${t.in.map((v) => equals(col, v)).join(' || ')})`;
        // Present, not null, and none of the values (a missing cell matches no condition).
        return `(exists(${col}) && ${col} != null && !(${t.out.map((v) => equals(col, v)).join(' || ')}))`;
      })
      .join(' && '),
  );
  // strict: a list in a cell is not unwrapped into its elements (lax mode would match ["sarah@…"]).
  return `strict $ ? (${alts.map((a) => `(${a})`).join(' || ')})`;
}
