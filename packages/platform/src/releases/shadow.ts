/**
 * The shadow runner (issue 17 part 4): after stable's run of an execution whose release choice
 * carried a shadow, the candidate runs on the same input (same trigger, user and caller), as a
 * shadow (RunRequest.shadowOf: its writes go to twins, releases/targets.ts), detached: stable's
 * result has already been recorded and is returned without waiting. At most `maxInFlight` shadows
 * run at once in a process; past that a shadow is skipped and counted. A shadow that crashes,
 * times out or exceeds its budget is a comparison with no diff and its error; nothing of it ever
 * reaches stable's run, record or answer. Each comparison is a shadow_comparisons row, then the
 * release is judged (shadow-judge.ts).
 */
import type { ShadowSettings } from '@aspora/api';
import type { Db } from '../db/index.ts';
import type { ExecutionRecord } from '../observe/executions.ts';
import type { Logger } from '../observe/logger.ts';
import type { RunRequest } from '../runtime/runtime.ts';
import type { StateStore, StoredRow } from '../state/store.ts';
import { type DiffResult, diffOutputs } from './diff.ts';
import { compareTables } from './targets.ts';

/** Rows of each side the compare tab reads per comparison. */
const TAB_ROWS = 2_000;
/** Characters of a failed shadow's error kept in its comparison. */
const ERROR_CHARS = 500;

export interface ShadowRunnerDeps {
  db: Db;
  log: Logger;
  /** The runtime's run (the shadow is an execution like any other, marked by shadowOf). */
  run(req: RunRequest): Promise<ExecutionRecord>;
  state: StateStore;
  /** Rows of executions still on their way to the database (the comparison references both). */
  settled?: () => Promise<void>;
  /** Judges the release after each comparison (shadow-judge.ts). */
  judge?: (releaseId: number) => Promise<unknown>;
  /** Shadows running at once in this process (default 2). */
  maxInFlight?: number;
}

export interface ShadowJob {
  releaseId: number;
  /** The candidate's version. */
  version: string;
  settings: ShadowSettings;
}

/** One comparison as stored in shadow_comparisons.report. */
export interface ComparisonReport {
  changes: DiffResult['changes'];
  truncated: boolean;
  /** skipped: shadow_config.compare_output is false. */
  output: { compared: number; changed: number; skipped?: boolean };
  table?: { name: string; twin: string; compared: number; changed: number; stableRows: number; shadowRows: number };
  error?: string;
  /** The shadow's refused host calls (its held writes among them; each audited as access.denied). */
  deniedCalls?: number;
}

export class ShadowRunner {
  readonly #max: number;
  readonly #running = new Set<Promise<void>>();
  /** Shadows not run because maxInFlight were already running. */
  skipped = 0;
  started = 0;
  #stopped = false;

  constructor(private readonly deps: ShadowRunnerDeps) {
    this.#max = deps.maxInFlight ?? 2;
  }

  get inFlight(): number {
    return this.#running.size;
  }

  /**
   * Starts the shadow of stable's finished execution `stable` (run from `req`) and returns at once.
   * Never throws: whatever happens to the shadow is logged and recorded as its comparison.
   */
  start(req: RunRequest, stable: ExecutionRecord, job: ShadowJob): void {
    if (req.shadowOf || this.#stopped) return; // a shadow's own run is never shadowed again
    if (this.#running.size >= this.#max) {
      this.skipped++;
      this.deps.log.warn(
        {
          ref: stable.ref,
          release: job.releaseId,
          execution: stable.id,
          inFlight: this.#running.size,
          skipped: this.skipped,
        },
        `shadow run skipped: ${this.#max} already running in this process`,
      );
      return;
    }
    this.started++;
    const p = this.#shadow(req, stable, job)
      .catch((e: unknown) =>
        this.deps.log.error(
          { ref: stable.ref, release: job.releaseId, err: String(e).slice(0, ERROR_CHARS) },
          'shadow comparison failed',
        ),
      )
      .finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  /** The runtime is closing: no new shadow starts, and those running record nothing more. */
  stop(): void {
    this.#stopped = true;
  }

  /** Resolves once every shadow started so far has been compared and judged (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size) await Promise.allSettled([...this.#running]);
  }

  async #shadow(req: RunRequest, stable: ExecutionRecord, job: ShadowJob): Promise<void> {
    let shadow: ExecutionRecord | undefined;
    let error: string | undefined;
    try {
      shadow = await this.deps.run({
        ref: stable.ref,
        input: req.input,
        version: job.version,
        ...(req.environment ? { environment: req.environment } : {}),
        trigger: stable.trigger ?? req.trigger ?? 'api',
        ...(req.user ? { user: req.user } : {}),
        ...(req.caller ? { caller: req.caller } : {}),
        ...(req.workflowId ? { workflowId: req.workflowId } : {}),
        // No source: nothing answers a channel with a shadow's result.
        shadowOf: { releaseId: job.releaseId, stableExecutionId: stable.id },
      });
      if (shadow.error) error = `${shadow.error.code}: ${shadow.error.message}`;
    } catch (e) {
      // Refused before it ran (a paused budget, an unloadable version): a failed shadow, not stable's problem.
      error = e instanceof Error ? `${(e as { code?: string }).code ?? 'ERROR'}: ${e.message}` : String(e);
    }
    if (this.#stopped) return;
    const report = error ? failed(error) : await this.#compare(stable, shadow!, job.settings);
    if (shadow?.deniedCalls) report.report.deniedCalls = shadow.deniedCalls;
    await this.deps.settled?.();
    await this.deps.db.query(
      `INSERT INTO shadow_comparisons (release_id, stable_execution_id, shadow_execution_id, diff_percentage, compared, changed, report)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        job.releaseId,
        stable.id,
        shadow?.id ?? null,
        report.error ? null : report.percentage,
        report.compared,
        report.changed,
        JSON.stringify(report.report),
      ],
    );
    this.deps.log.info(
      {
        ref: stable.ref,
        release: job.releaseId,
        stable: stable.id,
        shadow: shadow?.id,
        diff: report.error ? null : report.percentage,
        ...(report.error ? { error: report.error } : {}),
      },
      'shadow compared',
    );
    await this.deps.judge?.(job.releaseId);
  }

  /** The outputs' diff, plus (with a compare tab) the rows each side wrote to the tab and its twin. */
  async #compare(stable: ExecutionRecord, shadow: ExecutionRecord, s: ShadowSettings) {
    const keys = s.keys.length ? s.keys : undefined;
    // compare_output: false — a skill whose output legitimately differs (fresh timestamps, a model's
    // data) is judged by its compare tab alone, or, without one, by its shadow running at all.
    const out =
      s.compareOutput === false
        ? { changes: [], truncated: false, compared: 0, changed: 0 }
        : diffOutputs(structured(stable), structured(shadow), keys ? { keys } : {});
    const report: ComparisonReport = {
      changes: out.changes,
      truncated: out.truncated,
      output: { compared: out.compared, changed: out.changed, ...(s.compareOutput === false ? { skipped: true } : {}) },
    };
    let compared = out.compared;
    let changed = out.changed;
    if (s.compareTab) {
      // Each version writes its own owner team's tables (the runtime's rule).
      const [team, shadowTeam] = await Promise.all([this.#team(stable), this.#team(shadow)]);
      if (team && shadowTeam) {
        const t = compareTables(s.compareTab);
        const [a, b] = await Promise.all([
          this.deps.state.writtenBy({ team, table: t.stable }, stable.id, TAB_ROWS),
          this.deps.state.writtenBy({ team: shadowTeam, table: t.twin }, shadow.id, TAB_ROWS),
        ]);
        const tab = diffOutputs(a.map(plain), b.map(plain), keys ? { keys } : {});
        report.table = {
          name: t.stable,
          twin: t.twin,
          compared: tab.compared,
          changed: tab.changed,
          stableRows: a.length,
          shadowRows: b.length,
        };
        report.truncated ||= tab.truncated || a.length >= TAB_ROWS || b.length >= TAB_ROWS;
        const room = Math.max(0, 200 - report.changes.length);
        report.changes.push(...tab.changes.slice(0, room).map((c) => ({ ...c, key: `${t.stable}[${c.key}]` })));
        compared += tab.compared;
        changed += tab.changed;
      }
    }
    const percentage = compared ? Math.round((changed / compared) * 10_000) / 100 : 0;
    return { percentage, compared, changed, report, error: undefined };
  }

  async #team(r0: ExecutionRecord): Promise<string | null> {
    const [domain, name] = r0.ref.split('/');
    const [r] = await this.deps.db.query<{ owner_team: string | null }>(
      `SELECT v.owner_team FROM skill_versions v JOIN skills s ON s.id = v.skill_id
        WHERE s.domain = $1 AND s.name = $2 AND v.version = $3`,
      [domain, name, r0.version],
    );
    return r?.owner_team ?? null;
  }
}

/**
 * What is compared of a result: its success and its data. The message is prose for people (a
 * model words it differently every run) and confidence a guess: neither is the behaviour compared.
 */
export function structured(r: ExecutionRecord): unknown {
  const res = r.result as { success?: unknown; data?: unknown } | null;
  if (!res) return { success: false, error: r.error?.code ?? null };
  return { success: res.success ?? null, data: res.data ?? null };
}

const plain = ({ _id, ...row }: StoredRow) => row;

function failed(error: string) {
  const e = error.slice(0, ERROR_CHARS);
  const report: ComparisonReport = { changes: [], truncated: false, output: { compared: 0, changed: 0 }, error: e };
  return { percentage: null, compared: 0, changed: 0, report, error: e };
}
