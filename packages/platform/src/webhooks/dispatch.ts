/**
 * An alert event to executions: every skill deployed in production whose enabled alert trigger
 * lists the event's source and whose filters accept it gets one queued execution, keyed by the
 * provider's delivery id — a redelivered alert finds its executions and runs nothing again.
 */
import type { Db } from '../db/types.ts';
import type { ReplyTarget } from '../jobs/replies.ts';
import type { Logger } from '../observe/logger.ts';
import { type AlertEvent, filtersAccept } from './event.ts';

/** The job queue's enqueue (jobs/queue.ts), as much of it as alerts use. */
export type Enqueue = (
  run: {
    ref: string;
    input: Record<string, unknown>;
    environment: 'production';
    trigger: 'alert';
    caller: string;
    source: { eventId: string; channel: string };
    reply?: ReplyTarget;
  },
  o: { idempotencyKey: string; scope: string; maxAttempts: number },
) => Promise<{ id: string; existing: boolean }>;

export interface Dispatched {
  skill: string;
  execution: string;
  /** An earlier delivery of the same alert queued it. */
  existing: boolean;
}

/** Attempts of an alert-triggered execution (a handler that crashes is retried, then dead). */
const ALERT_ATTEMPTS = 3;

export class AlertDispatcher {
  constructor(
    private readonly db: Db,
    private readonly enqueue: Enqueue,
    private readonly log: Logger,
  ) {}

  /** Skills whose alert triggers accept the event (one entry per skill); `only`: that skill or none. */
  async matching(e: AlertEvent, only?: string): Promise<string[]> {
    const rows = await this.db.query<{ ref: string; alert_filters: Record<string, unknown> | null }>(
      `SELECT s.domain || '/' || s.name AS ref, t.alert_filters
         FROM environments env
         JOIN skills s ON s.id = env.skill_id
         JOIN skill_triggers t ON t.version_id = env.version_id
        WHERE env.name = 'production' AND t.type = 'alert' AND t.enabled AND $1 = ANY (t.alert_sources)`,
      [e.source],
    );
    return [
      ...new Set(rows.filter((r) => (!only || r.ref === only) && filtersAccept(r.alert_filters, e)).map((r) => r.ref)),
    ].sort();
  }

  /** `reply`: where each execution's result goes once it is over (a webhook's callback). */
  async dispatch(e: AlertEvent, only?: string, reply?: ReplyTarget): Promise<Dispatched[]> {
    const out: Dispatched[] = [];
    for (const ref of await this.matching(e, only)) {
      const q = await this.enqueue(
        {
          ref,
          input: { userMessage: e.title, metadata: { alert: e } },
          environment: 'production',
          trigger: 'alert',
          caller: `webhook:${e.source}`,
          source: { eventId: e.id, channel: `webhook:${e.source}` },
          ...(reply ? { reply } : {}),
        },
        { idempotencyKey: `${e.source}:${e.id}:${ref}`, scope: 'alerts', maxAttempts: ALERT_ATTEMPTS },
      );
      out.push({ skill: ref, execution: q.id, existing: q.existing });
    }
    this.log.info(
      { source: e.source, alert: e.id, severity: e.severity, skills: out.map((d) => d.skill) },
      out.length ? 'alert queued executions' : 'alert matched no skill',
    );
    return out;
  }
}
