/**
 * Sends a notice to the channels a rule names. Per channel the destination is the owner team's
 * (teams.<scope.team>) when it set one, else the platform-wide notifier; a channel with neither is
 * skipped with a warning that says what to configure. Channels are sent concurrently and each
 * outcome is reported on its own: a broken Slack webhook must never keep the page from PagerDuty.
 */
import { AsporaError } from '@aspora/sdk';
import type { SecretVault } from '../../secrets/secrets.ts';
import type { NotifiersConfig, TeamConfig } from '../../config/platform-file.ts';
import type { Logger } from '../logger.ts';
import { EmailNotifier } from './email.ts';
import { PagerDutyNotifier } from './pagerduty.ts';
import { SlackNotifier } from './slack.ts';
import { CHANNELS, type Channel, type Destination, type Notice, type Notifier, type SendResult } from './types.ts';
import { WebhookNotifier } from './webhook.ts';

export interface RouterOptions {
  /** Per-request deadline of every channel (default 10 s). */
  timeoutMs?: number;
  /** PagerDuty's wait before its one retry of a 429 or 5xx (default 1 s). */
  retryDelayMs?: number;
}

type Source = 'team' | 'platform';

export class NotificationRouter {
  private readonly notifiers: { [C in Channel]?: Notifier<C> };

  constructor(
    private readonly config: NotifiersConfig,
    private readonly teams: Record<string, TeamConfig>,
    private readonly vault: SecretVault,
    private readonly log: Logger,
    opts: RouterOptions = {},
  ) {
    this.notifiers = {
      slack: new SlackNotifier(opts.timeoutMs),
      webhook: new WebhookNotifier(opts.timeoutMs),
      // A team may page through its own routing key even when the platform has no PagerDuty of its own.
      pagerduty: new PagerDutyNotifier({
        eventsUrl: config.pagerduty?.events_url,
        timeoutMs: opts.timeoutMs,
        retryDelayMs: opts.retryDelayMs,
      }),
      // Email needs an SMTP server, which only the platform configures.
      ...(config.email ? { email: new EmailNotifier(config.email, vault, opts.timeoutMs) } : {}),
    };
  }

  /**
   * Channels that have a destination: for `team`, those its notices would reach; without one,
   * those any notice could reach (the platform's, or at least one team's).
   */
  configuredChannels(team?: string | null): Channel[] {
    if (team !== undefined) return CHANNELS.filter((c) => this.source(c, team) !== undefined);
    const names = [null, ...Object.keys(this.teams)];
    return CHANNELS.filter((c) => names.some((t) => this.source(c, t) !== undefined));
  }

  /** Never throws: each channel's outcome is in the result, and each failure is logged. */
  async send(notice: Notice, channels: Channel[]): Promise<SendResult[]> {
    return Promise.all([...new Set(channels)].map((c) => this.sendOne(notice, c)));
  }

  private async sendOne(notice: Notice, channel: Channel): Promise<SendResult> {
    const team = notice.scope.team ?? null;
    const source = this.source(channel, team);
    if (!source) {
      const configure = this.whatToConfigure(channel, team);
      this.log.warn(
        { channel, key: notice.key, team, configure },
        `notice not sent to ${channel}: no destination; configure ${configure}`,
      );
      return { channel, ok: false, skipped: true, error: `no ${channel} destination: configure ${configure}` };
    }
    try {
      const to = this.destination(channel, source, team);
      // The destination was built for this channel, so the pairing holds.
      await (this.notifiers[channel] as Notifier).send(notice, to);
      this.log.info({ channel, key: notice.key, status: notice.status, team, destination: source }, 'notice sent');
      return { channel, ok: true };
    } catch (e) {
      const err =
        e instanceof AsporaError ? e : new AsporaError('INTERNAL', `${channel}: ${(e as Error).message}`, { cause: e });
      this.log.error(
        {
          channel,
          key: notice.key,
          status: notice.status,
          team,
          destination: source,
          code: err.code,
          error: err.message,
          hint: err.hint,
        },
        `notice not sent to ${channel}: ${err.message}`,
      );
      return { channel, ok: false, error: err.message };
    }
  }

  /** Which config serves `channel` for `team`, judged from the configuration alone (no secrets read). */
  private source(channel: Channel, team: string | null): Source | undefined {
    const t = team ? this.teams[team] : undefined;
    const c = this.config;
    switch (channel) {
      case 'slack':
        return t?.slack_webhook_url ? 'team' : c.slack ? 'platform' : undefined;
      case 'pagerduty':
        return t?.pagerduty_routing_key_secret ? 'team' : c.pagerduty ? 'platform' : undefined;
      case 'email':
        if (!c.email) return undefined;
        return t?.email.length ? 'team' : c.email.to.length ? 'platform' : undefined;
      case 'webhook':
        return t?.webhook_url ? 'team' : c.webhook ? 'platform' : undefined;
    }
  }

  private destination(channel: Channel, source: Source, team: string | null): Destination {
    const t = source === 'team' && team ? this.teams[team] : undefined;
    const c = this.config;
    switch (channel) {
      case 'slack':
        return { channel, webhookUrl: t?.slack_webhook_url ?? c.slack!.webhook_url };
      case 'pagerduty': {
        const secret = t?.pagerduty_routing_key_secret ?? c.pagerduty!.routing_key_secret;
        const routingKey = this.vault.get(secret);
        if (!routingKey) {
          throw new AsporaError('CONFIG_INVALID', `the PagerDuty routing key secret ${secret} is not in the vault`, {
            hint: `add secrets.${secret} to aspora.platform.yaml, or set ASPORA_SECRET_${secret}`,
          });
        }
        return { channel, routingKey };
      }
      case 'email':
        return { channel, to: t ? t.email : c.email!.to };
      case 'webhook':
        // The platform's headers (often its credentials) are for the platform's receiver, not a team's.
        return t?.webhook_url
          ? { channel, url: t.webhook_url, headers: {} }
          : { channel, url: c.webhook!.url, headers: c.webhook!.headers };
    }
  }

  private whatToConfigure(channel: Channel, team: string | null): string {
    const teamKey = team ? `teams.${team}` : undefined;
    const either = (teamField: string, platform: string) =>
      teamKey ? `${teamKey}.${teamField} or ${platform}` : platform;
    switch (channel) {
      case 'slack':
        return either('slack_webhook_url', 'notifiers.slack.webhook_url');
      case 'pagerduty':
        return either('pagerduty_routing_key_secret', 'notifiers.pagerduty.routing_key_secret');
      case 'webhook':
        return either('webhook_url', 'notifiers.webhook.url');
      case 'email':
        return this.config.email ? either('email', 'notifiers.email.to') : 'notifiers.email (the SMTP server)';
    }
  }
}
