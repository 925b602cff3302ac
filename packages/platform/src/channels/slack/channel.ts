/**
 * Slack as a channel (issue 16 parts 6 and 7): a signed request is checked, queued as a durable job
 * of its own (inbound.ts) and acknowledged within Slack's 3 seconds. Its work (`handle`), in
 * whichever process takes the job: the Slack user mapped to a platform user by e-mail (users.info),
 * the message routed for that user like POST /v1/messages (caller `channel:slack`), and the run
 * queued on the durable job queue keyed by the Slack event id (or trigger id), carrying where to
 * answer. Whichever process runs that job, its reply (jobs/replies.ts, `deliver` here) posts the
 * answer back where the work came from: the channel and thread (chat.postMessage), or a command's
 * response_url — so a process that dies at any point after the ack still answers once another one
 * takes the job.
 */
import { AsporaError } from '@aspora/sdk';
import type { Directory } from '../../access/directory.ts';
import type { Enqueued, EnqueueOptions, QueuedRun } from '../../jobs/queue.ts';
import { isTransient } from '../../jobs/transient.ts';
import type { Delivery, ReplyTarget } from '../../jobs/replies.ts';
import { answered, type InboundMessage, type MessageHandler, type Sender, unrouted } from '../../messages/handle.ts';
import { slashName } from '../../messages/patterns.ts';
import type { Routed } from '../../messages/router.ts';
import type { ExecutionRecord } from '../../observe/executions.ts';
import type { Logger } from '../../observe/logger.ts';
import {
  ACTION_PREFIX,
  answerBlocks,
  decodeButton,
  noticeBlocks,
  type SlackMessage,
  threadReplies,
  wantsThread,
} from './blocks.ts';
import type { SlackClient } from './client.ts';
import type { SlackDeliveries } from './deliveries.ts';
import type { InboundWork, Reply, SlackInbound } from './inbound.ts';
import { type SignedHeaders, verifySlackSignature } from './signature.ts';

export const SLACK_CALLER = 'channel:slack';
/** Longest message text routed (Slack's own limit for a message is 40,000 characters). */
const MAX_TEXT = 4000;
const SLACK_ID = /^[A-Z0-9]{1,32}$/;
const TS = /^\d{1,12}\.\d{1,9}$/;
/** A Slack mention at the start of a message (the text is bounded by MAX_TEXT before this runs). */
const LEADING_MENTION = /^\s*<@[A-Z0-9]{1,32}(\|[^>]{0,256})?>/;

export interface SlackChannelDeps {
  secret: () => string | undefined;
  client: SlackClient;
  deliveries: SlackDeliveries;
  /** Where a verified delivery is queued before the ack (its work: `handle`). */
  inbound: SlackInbound;
  messages: MessageHandler;
  directory: Directory;
  log: Logger;
  environment: 'staging' | 'production';
  /** The durable job queue (JobQueue.enqueue): the run goes there, its answer comes back through `deliver`. */
  enqueue: (run: QueuedRun, o: EnqueueOptions) => Promise<Enqueued>;
}

/** The enqueue's CONFLICT (its idempotency key held by a request still in progress) is "not now" too. */
const ENQUEUE_TRANSIENT = ['CONFLICT'] as const;
/** Attempts of a Slack-triggered execution (a crash is retried; the person waits for the answer). */
const SLACK_ATTEMPTS = 3;

/** What a queued Slack run carries to its answer: where, which skill and why, what was asked. */
export interface SlackReplyTarget extends ReplyTarget {
  kind: 'slack';
  to: Reply;
  routed: Routed;
  /** The message routed: what discovery learns from once the run is over. */
  text: string;
}

export type { Reply } from './inbound.ts';

const bad = (why: string) => new AsporaError('BAD_REQUEST', `Slack request: ${why}`);
const str = (v: unknown, max = 256): string | undefined =>
  typeof v === 'string' && v.length <= max && v.length > 0 ? v : undefined;
const id = (v: unknown): string | undefined => {
  const s = str(v, 32);
  return s && SLACK_ID.test(s) ? s : undefined;
};
const ts = (v: unknown): string | undefined => {
  const s = str(v, 24);
  return s && TS.test(s) ? s : undefined;
};

export class SlackChannel {
  constructor(private readonly deps: SlackChannelDeps) {}

  /** The request is Slack's, signed now, and not seen before; otherwise a 401 and nothing runs. */
  async authenticate(h: SignedHeaders, raw: string): Promise<void> {
    const secret = this.deps.secret();
    if (!secret)
      throw new AsporaError('NOT_FOUND', 'Slack is not set up on this platform: no signing secret', {
        hint: 'set SLACK_SIGNING_SECRET (aspora.platform.yaml secrets:, or aspora platform-secrets set SLACK_SIGNING_SECRET); docs/slack.md',
      });
    verifySlackSignature(secret, h, raw);
    if (!(await this.deps.deliveries.first(`sig:${h.signature}`)))
      throw new AsporaError('UNAUTHORIZED', 'Slack request refused: replayed (this signature was seen before)', {
        hint: 'Slack signs every delivery anew; a repeated signature is a captured request sent again',
      });
  }

  /** POST /v1/channels/slack/events (JSON). */
  async event(body: unknown): Promise<Record<string, unknown>> {
    if (!body || typeof body !== 'object') throw bad('the body is not a JSON object');
    const b = body as Record<string, unknown>;
    if (b.type === 'url_verification') {
      const challenge = str(b.challenge, 200);
      if (!challenge) throw bad('url_verification without a challenge');
      return { challenge };
    }
    if (b.type !== 'event_callback') return { ok: true, ignored: `type ${String(b.type).slice(0, 40)}` };
    const eventId = str(b.event_id, 64);
    const e = b.event as Record<string, unknown> | undefined;
    if (!eventId || !e || typeof e !== 'object') throw bad('event_callback without event_id or event');
    const ignored = this.ignored(e);
    if (ignored) return { ok: true, ignored };
    const channel = id(e.channel);
    const user = id(e.user);
    const at = ts(e.ts);
    const text = str(e.text, MAX_TEXT);
    if (!channel || !user || !at || !text) return { ok: true, ignored: 'an event without channel, user, ts or text' };
    const thread = ts(e.thread_ts);
    // A redelivery (X-Slack-Retry-Num) or a duplicate: the first delivery is queued, no other.
    const queued = await this.deps.inbound.accept(`event:${eventId}`, {
      slackUser: user,
      message: {
        text: stripMentions(text),
        // `<@UBOT> triage`: the mention leading it says the app is asked, so the app stands for a
        // command's `@name` (`@ecm-manager triage`). The app's own id is not needed: Slack sends
        // app_mention only for a message that mentions this app.
        addressed: e.type === 'app_mention' && LEADING_MENTION.test(text),
        trigger: 'message',
        source: { eventId, channel: `slack:${channel}` },
        channel: `slack:${channel}`,
        ...(thread ? { thread } : {}),
        metadata: { slack: { event: e.type, channel, user, ts: at } },
      },
      reply: { kind: 'channel', channel, user, thread, ts: at, quiet: e.type === 'message' },
    });
    return queued ? { ok: true } : { ok: true, duplicate: true };
  }

  /** Bots (this app among them), edits and joins are not messages to answer; a message mentioning the app comes as app_mention too. */
  private ignored(e: Record<string, unknown>): string | undefined {
    if (e.type !== 'app_mention' && e.type !== 'message') return `event ${String(e.type).slice(0, 40)}`;
    if (e.bot_id || e.subtype) return 'a bot message or a message change';
    if (e.type === 'message' && e.channel_type !== 'channel' && e.channel_type !== 'group')
      return 'not a message in a channel';
    if (e.type === 'message' && typeof e.text === 'string' && /<@[A-Z0-9]+>/.test(e.text))
      return 'a mention: answered as app_mention';
    return undefined;
  }

  /** POST /v1/channels/slack/commands (form): acknowledged at once, answered through response_url. */
  async command(form: URLSearchParams): Promise<Record<string, unknown>> {
    // Slack checks a command URL's certificate now and then with an ssl_check post: nothing to run.
    if (form.get('ssl_check') === '1') return {};
    const command = str(form.get(`command`), 64);
    const user = id(form.get('user_id'));
    const channel = id(form.get('channel_id'));
    const url = str(form.get('response_url'), 1000);
    const trigger = str(form.get('trigger_id'), 128);
    const text = (form.get('text') ?? '').slice(0, MAX_TEXT).trim();
    if (!command || !user || !channel || !url)
      throw bad('a command without command, user_id, channel_id or response_url');
    const slash = slashName(command);
    // Empty text routes only by the command's name: unless a skill's command is that name alone
    // (`/ecm-dashboard`), there is nothing to route, and the person is told at once (a cached read).
    if (!text && !(slash && (await this.deps.messages.patterns.takesBareSlash(slash, this.deps.environment))))
      return { response_type: 'ephemeral', text: `Say what you need: ${command} my tickets` };
    await this.deps.inbound.accept(trigger && `trigger:${trigger}`, {
      slackUser: user,
      message: {
        text,
        // A slash command is the app's own: its text is a command's words after the `@name`; and
        // its name is one a command may name. Slack's signed request is what says so.
        addressed: true,
        ...(slash ? { slash } : {}),
        trigger: 'command',
        source: { eventId: trigger, channel: `slack:${channel}` },
        channel: `slack:${channel}`,
        metadata: { slack: { command, channel, user } },
      },
      reply: { kind: 'response_url', url, channel, user },
    });
    return { response_type: 'ephemeral', text: `Working on it: ${command} ${text}`.trim().slice(0, 300) };
  }

  /** POST /v1/channels/slack/interactions (form, `payload` JSON): a button press runs its skill again. */
  async interaction(form: URLSearchParams): Promise<Record<string, unknown> | null> {
    let p: Record<string, any>;
    try {
      p = JSON.parse(form.get('payload') ?? '') as Record<string, any>;
    } catch {
      throw bad('no payload, or a payload that is not JSON');
    }
    if (!p || typeof p !== 'object' || p.type !== 'block_actions') return null;
    const user = id(p.user?.id);
    const channel = id(p.channel?.id ?? p.container?.channel_id);
    const action = Array.isArray(p.actions) ? (p.actions[0] as Record<string, unknown> | undefined) : undefined;
    if (!user || !channel || !action) throw bad('block_actions without user, channel or action');
    const actionId = str(action.action_id, 255);
    if (!actionId?.startsWith(ACTION_PREFIX)) return null; // someone else's button (a link button, another app's)
    const button = decodeButton(action.value);
    if (!button) throw bad('a button value the platform did not make');
    const messageTs = ts(p.message?.ts ?? p.container?.message_ts);
    const thread = ts(p.message?.thread_ts) ?? messageTs;
    const trigger = str(p.trigger_id, 128);
    await this.deps.inbound.accept(trigger && `trigger:${trigger}`, {
      slackUser: user,
      message: {
        text: str(action.text && (action.text as { text?: unknown }).text, 200) ?? button.id,
        skill: button.skill,
        trigger: 'interaction',
        source: { eventId: trigger, channel: `slack:${channel}` },
        channel: `slack:${channel}`,
        ...(thread ? { thread } : {}),
        metadata: { action: { id: button.id, value: button.value }, slack: { channel, user, ts: messageTs } },
      },
      reply: { kind: 'channel', channel, user, thread, ts: messageTs },
      reason: `button "${button.id}" pressed`,
    });
    return null;
  }

  /**
   * The work behind a delivery (its inbound job, in whichever process takes it): who it is, and
   * routed for them; nothing routed, told so; routed, the run queued (the delivery's id its
   * idempotency key, so a retried attempt finds the run it queued) with where its answer goes. A
   * throw (Slack or the database down) is retried; at the last attempt the person is told.
   */
  async handle(w: InboundWork, o: { last: boolean }): Promise<void> {
    try {
      await this.work(w);
    } catch (e) {
      if (o.last)
        await this.send(
          w.reply,
          noticeBlocks('Slack or the platform was not answering, so I ran nothing. Try again in a minute.'),
          true,
        ).catch(() => undefined);
      throw e;
    }
  }

  private async work({ slackUser, message, reply, reason }: InboundWork): Promise<void> {
    const m: InboundMessage = { ...message, environment: this.deps.environment };
    const sender = await this.sender(slackUser);
    if (typeof sender === 'string') {
      this.deps.log.info({ slackUser }, 'slack: an unknown user; nothing run');
      await this.send(reply, noticeBlocks(sender), true);
      return;
    }
    const { routed, candidates } = await this.deps.messages.route(sender, m);
    if (!routed) {
      // Chatter in a channel that no skill answers is not for the app: only a mention, a command or a
      // press is told "nothing answers that".
      if (reply.kind === 'channel' && reply.quiet) return;
      await this.send(reply, answerBlocks(unrouted(candidates)), true);
      return;
    }
    const run = await this.deps.messages.request(SLACK_CALLER, sender, m, routed);
    // The answer says why in the person's terms (a button press); the run's input keeps the router's reason.
    const target: SlackReplyTarget = {
      kind: 'slack',
      to: reply,
      routed: reason ? { ...routed, reason } : routed,
      text: m.text,
    };
    const key = m.source?.eventId;
    try {
      const q = await this.deps.enqueue(
        { ...run, reply: target },
        { ...(key ? { idempotencyKey: key, scope: 'slack' } : {}), maxAttempts: SLACK_ATTEMPTS },
      );
      this.deps.log.info({ execution: q.id, skill: routed.skill, existing: q.existing }, 'slack: run queued');
    } catch (e) {
      // Not now (the database): retried. Refused before it could queue (the skill is gone, nothing
      // deployed): the person is told why.
      if (!(e instanceof AsporaError) || isTransient(e.code, ENQUEUE_TRANSIENT)) throw e;
      await this.send(reply, noticeBlocks(`${routed.skill} could not run: ${e.message}`), true);
    }
  }

  /**
   * The answer of a queued Slack run, once it is over (the reply queue calls this in whichever
   * process takes it): posted where the work came from, with the skill's buttons and threads.
   */
  async deliver(execution: ExecutionRecord, t: ReplyTarget, attempt = 1): Promise<Delivery> {
    const target = t as SlackReplyTarget;
    const answer = answered(target.routed, [], execution);
    if (attempt === 1) this.deps.messages.learn(target.text, target.routed, execution);
    const data = (execution.result as { data?: unknown } | null)?.data;
    const replies = threadReplies(data);
    const reply = target.to;
    // Replies need the answer's ts, which only chat.postMessage gives: a command's answer with
    // replies is posted to its channel (the app must be in it) rather than through response_url.
    let to: Reply =
      replies.length && reply.kind === 'response_url'
        ? { kind: 'channel', channel: reply.channel, user: reply.user }
        : reply;
    if (to.kind === 'channel' && wantsThread(data) && !to.thread) to = { ...to, thread: to.ts };
    let posted: string | undefined;
    try {
      posted = await this.send(to, answerBlocks(answer), false);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      // A response_url the platform may not post to stays refused; Slack being busy or down is retried.
      return { ok: false, error, retry: !(e instanceof AsporaError && e.code === 'BAD_REQUEST') };
    }
    const under = to.kind === 'channel' ? (to.thread ?? posted) : undefined;
    // The answer is out: a thread reply that fails is logged, not retried (that would post the answer twice).
    if (to.kind === 'channel' && under)
      for (const r of replies)
        await this.deps.client
          .post(to.channel, r, under)
          .catch((e: unknown) =>
            this.deps.log.warn({ err: e, execution: execution.id }, 'slack: a thread reply failed'),
          );
    return { ok: true };
  }

  /** The platform user a Slack user is, by e-mail; a string says why there is none. */
  private async sender(slackUser: string): Promise<Sender | string> {
    const u = await this.deps.client.user(slackUser);
    if (!u || u.isBot) return 'I could not find you in Slack.';
    if (!u.email)
      return 'I cannot see your e-mail address in Slack, so I do not know who you are on Aspora. Ask an admin to give the app the users:read.email scope.';
    const p = await this.deps.directory.userByEmail(u.email);
    if (!p)
      return `You (${u.email}) are not an Aspora user yet, so I ran nothing. Ask an admin: aspora users add ${u.email}`;
    return {
      kind: 'user',
      user: { id: p.id, email: p.email, name: p.name },
      team: null,
      teams: new Map(p.teams.map((t) => [t.team, t.role])),
      admin: p.admin,
    };
  }

  /** An answer where the work came from; a private one (a refusal, no skill) only to the person. */
  /** Sends; the ts of a post to a channel. */
  private async send(r: Reply, m: SlackMessage, onlyToThem: boolean): Promise<string | undefined> {
    if (r.kind === 'response_url') {
      await this.deps.client.respond(r.url, { ...m, response_type: onlyToThem ? 'ephemeral' : 'in_channel' });
      return undefined;
    }
    if (onlyToThem) {
      await this.deps.client.ephemeral(r.channel, r.user, m, r.thread);
      return undefined;
    }
    return this.deps.client.post(r.channel, m, r.thread);
  }
}

/** `<@U123> triage` → `triage`: the mention says who is asked, not what. */
export function stripMentions(text: string): string {
  return (
    text
      .replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim() || text
  );
}
