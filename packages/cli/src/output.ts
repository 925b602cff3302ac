/**
 * Output rules: machine-readable results go to stdout (JSON with --json), everything for humans
 * (progress, warnings, errors) goes to stderr, so `aspora … --json | jq` always works.
 */
import { ApiError } from '@aspora/api';
import { formatIssue, type Issue } from '@aspora/sdk';

export interface OutputOptions {
  json: boolean;
}

const tty = process.stderr.isTTY === true;
const color = tty && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
export const green = paint('32');
export const red = paint('31');
export const yellow = paint('33');
export const dim = paint('2');
export const bold = paint('1');

/** One step of slow work: a live line on a terminal, a plain line otherwise. */
export class Progress {
  private current: string | undefined;
  private readonly started = Date.now();

  step(msg: string): void {
    this.current = msg;
    if (tty) process.stderr.write(`\r\x1b[K${dim('…')} ${msg}`);
  }

  done(msg: string): void {
    if (tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${green('✓')} ${msg}\n`);
    this.current = undefined;
  }

  fail(): void {
    if (tty && this.current) process.stderr.write('\r\x1b[K');
    if (this.current) process.stderr.write(`${red('✗')} ${this.current}\n`);
  }

  elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(2)} s`;
  }
}

export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

export function printIssues(issues: Issue[], label: 'error' | 'warning'): void {
  for (const i of issues)
    process.stderr.write(`${label === 'error' ? red('error') : yellow('warning')} ${formatIssue(i)}\n`);
}

export function printError(e: unknown, opts: OutputOptions): void {
  // The client's errors and the SDK's AsporaError (a subclass) alike.
  const err = e instanceof ApiError ? e : undefined;
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify(err ? err.toJSON() : { error: { code: 'INTERNAL', message: String((e as Error)?.message ?? e) } }, null, 2)}\n`,
    );
  }
  if (err) {
    process.stderr.write(`${red('error')} ${err.message}${err.code !== 'INTERNAL' ? dim(` [${err.code}]`) : ''}\n`);
    printIssues(err.issues, 'error');
    if (err.hint) process.stderr.write(`${dim('hint:')} ${err.hint}\n`);
  } else {
    process.stderr.write(`${red('error')} ${(e as Error)?.message ?? String(e)}\n`);
  }
}

/** A plain aligned table for list-like output. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => stripAnsi(r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - stripAnsi(c).length)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

export function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}
