/** The Slack channel, assembled from the platform's parts (platform.ts). */
import type { PgBoss } from 'pg-boss';
import type { Directory } from '../../access/directory.ts';
import type { Db } from '../../db/index.ts';
import type { Enqueued, EnqueueOptions, QueuedRun } from '../../jobs/queue.ts';
import type { MessageHandler } from '../../messages/handle.ts';
import type { Logger } from '../../observe/logger.ts';
import { SlackChannel } from './channel.ts';
import { SlackClient } from './client.ts';
import { SlackDeliveries } from './deliveries.ts';
import { SlackInbound } from './inbound.ts';

export { SlackChannel } from './channel.ts';

/** Slack's deliveries are small (an event is a few KB); 1 MiB bounds what is read and hashed. */
export const SLACK_MAX_BODY = 1024 * 1024;

export interface SlackSetup {
  apiUrl: string;
  responseUrlPrefix: string;
  environment: 'staging' | 'production';
  /** Read per request from the vault: a rotated secret takes effect at once. */
  secret: (name: 'SLACK_SIGNING_SECRET' | 'SLACK_BOT_TOKEN') => string | undefined;
}

export function slackChannel(
  s: SlackSetup,
  parts: {
    db: Db;
    /** The job engine: deliveries are queued on it before the ack (inbound.ts). */
    boss: PgBoss;
    messages: MessageHandler;
    directory: Directory;
    log: Logger;
    enqueue: (run: QueuedRun, o: EnqueueOptions) => Promise<Enqueued>;
  },
): { channel: SlackChannel; inbound: SlackInbound } {
  const deliveries = new SlackDeliveries(parts.db);
  const inbound = new SlackInbound(parts.db, parts.boss, deliveries, parts.log);
  const channel = new SlackChannel({
    secret: () => s.secret('SLACK_SIGNING_SECRET'),
    client: new SlackClient({
      apiUrl: s.apiUrl,
      responseUrlPrefix: s.responseUrlPrefix,
      botToken: () => s.secret('SLACK_BOT_TOKEN'),
    }),
    deliveries,
    inbound,
    messages: parts.messages,
    directory: parts.directory,
    log: parts.log,
    environment: s.environment,
    enqueue: parts.enqueue,
  });
  return { channel, inbound };
}

/** For an app without a platform behind it: every Slack request answers 404 (not set up). */
export function notSetUp(): SlackChannel {
  return new SlackChannel({ secret: () => undefined } as never);
}
