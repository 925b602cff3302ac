/**
 * What alerts and budget notices are made of, and where they go. A rule (metrics, budgets) builds a
 * Notice; the NotificationRouter resolves a Destination per channel (the owner team's, else the
 * platform's) and hands both to that channel's Notifier.
 */

export type Channel = 'slack' | 'pagerduty' | 'email' | 'webhook';

export const CHANNELS: readonly Channel[] = ['slack', 'pagerduty', 'email', 'webhook'];

export interface Notice {
  /** Stable per alert: the same problem firing again or resolving uses the same key (PagerDuty dedup_key). */
  key: string;
  status: 'firing' | 'resolved';
  severity: 'critical' | 'error' | 'warning' | 'info';
  /** One line, e.g. "fraud/block-transaction: success rate 81 % < 95 % over 5 min". */
  title: string;
  /** A few lines of detail. */
  text: string;
  scope: { skill?: string; domain?: string; team?: string | null };
  /** e.g. "skill.success_rate", "platform.error_rate", "budget.80". */
  rule: string;
  value?: number;
  threshold?: number;
  links?: Array<{ label: string; url: string }>;
  /** ISO time. */
  at: string;
}

/** What a team or the platform default resolves to for one channel. */
export type Destination =
  | { channel: 'slack'; webhookUrl: string }
  | { channel: 'pagerduty'; routingKey: string }
  | { channel: 'email'; to: string[] }
  | { channel: 'webhook'; url: string; headers: Record<string, string> };

export type DestinationOf<C extends Channel> = Extract<Destination, { channel: C }>;

export interface Notifier<C extends Channel = Channel> {
  readonly channel: C;
  /** Resolves once the channel accepted the notice; rejects with an AsporaError otherwise. */
  send(n: Notice, to: DestinationOf<C>): Promise<void>;
}

/** Outcome of one channel of NotificationRouter.send: failures are reported, never thrown. */
export interface SendResult {
  channel: Channel;
  ok: boolean;
  /** No destination was configured for this channel (a warning was logged); not a failure of the channel. */
  skipped?: boolean;
  error?: string;
}

/** Timeouts of the HTTP channels (fetch) and of SMTP (connection, greeting, each command). */
export const DEFAULT_TIMEOUT_MS = 10_000;
