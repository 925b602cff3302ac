/**
 * Rows for a state table from a file's text, as operators load them (`aspora state import`, the
 * examples' seed files): a JSON array of objects, or JSON Lines (one object a line, blank lines
 * skipped). Every row is checked against StateRowSchema here, so a bad row is named by its
 * position in the file before any row is sent.
 */
import type { z } from 'zod';
import { StateRowSchema } from './access.ts';
import { ApiError } from './errors.ts';

export type StateRowInput = z.output<typeof StateRowSchema>;

/** Rows one import request carries (ImportStateRequest's bound): longer files go in chunks of it. */
export const STATE_IMPORT_CHUNK = 1000;

const HINT = 'a rows file is a JSON array of objects, or JSON Lines (one object a line)';
const bad = (message: string) => new ApiError('BAD_REQUEST', message, { hint: HINT });

export function parseStateRows(text: string, source: string): StateRowInput[] {
  const body = text.replace(/^\uFEFF/, '');
  const values: Array<{ value: unknown; where: string }> = [];
  if (body.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      throw bad(`${source} is not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw bad(`${source} is not a JSON array`);
    for (const [i, value] of parsed.entries()) values.push({ value, where: `row ${i + 1}` });
  } else {
    for (const [i, line] of body.split('\n').entries()) {
      if (!line.trim()) continue;
      try {
        values.push({ value: JSON.parse(line), where: `line ${i + 1}` });
      } catch (e) {
        throw bad(`${source} line ${i + 1} is not JSON: ${(e as Error).message}`);
      }
    }
  }
  if (!values.length) throw bad(`${source} holds no rows`);
  return values.map(({ value, where }) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw bad(`${source} ${where}: a row is a JSON object of column → value`);
    const r = StateRowSchema.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const at = issue.path.length ? ` (${issue.path.map(String).join('.')})` : '';
      throw bad(
        `${source} ${where}${at}: ${issue.message}; a cell is text (at most 10000 characters), a number, true, false or null`,
      );
    }
    return r.data;
  });
}
