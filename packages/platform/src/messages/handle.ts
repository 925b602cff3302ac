/**
 * One message, handled: routed for the user it is from (only skills that user may see are
 * candidates), run for that user, answered with the skill's reply, which skill and why. Both
 * POST /v1/messages and the channels (Slack) go through here, so a message is routed and recorded
 * the same way wherever it came from.
 */
import type { MessageAnswer } from '@aspora/api';
import type { SkillResult } from '@aspora/sdk';
import type { Principal } from '../access/principal.ts';
import type { SkillAccess } from '../access/skill-access.ts';
import type { ModelGateway } from '../gateway/gateway.ts';
import type { Logger } from '../observe/logger.ts';
import type { ExecutionRecord } from '../observe/executions.ts';
import type { SkillRegistry } from '../registry/index.ts';
import type { QueuedRun } from '../jobs/queue.ts';
import { executionUser } from '../runtime/end-user.ts';
import type { SkillRuntime } from '../runtime/runtime.ts';
import { MessagePatterns } from './patterns.ts';
import { type Candidate, MessageRouter, type Routed } from './router.ts';

export interface InboundMessage {
  text: string;
  environment: 'staging' | 'production';
  /** A skill the sender named: routed to it when the user may see it. */
  skill?: string | undefined;
  /** Where it came from (`slack:C0123`, `web`): a trigger's `channels` limit where it matches. */
  channel?: string | undefined;
  thread?: string | undefined;
  /**
   * Sent to the app itself (a Slack mention of the app leading the message, a slash command): the
   * app stands for a command's leading `@name`. Only a channel that knows says so.
   */
  addressed?: boolean | undefined;
  /**
   * The slash command it was (`/ecm-dashboard`), its text what followed the name: a command pattern
   * naming it matches. Only a channel that knows says so (Slack's signed request).
   */
  slash?: string | undefined;
  /** `message` unless a channel says otherwise (a slash command: `command`). */
  trigger?: string;
  /** The source's event id and channel, recorded on the execution (issue 16 part 7). */
  source?: { eventId?: string | undefined; channel?: string | undefined };
  /** More of what the channel knows (a button's action), passed in input.metadata. */
  metadata?: Record<string, unknown>;
}

/** The user a message is from: whose visibility routes it and whom the run is for. */
export type Sender = Pick<Principal, 'user' | 'teams' | 'admin' | 'kind'> & Partial<Principal>;

export interface MessageHandlerDeps {
  registry: SkillRegistry;
  gateway: ModelGateway;
  log: Logger;
  skillAccess: SkillAccess;
  runtime: SkillRuntime;
}

export class MessageHandler {
  readonly router: MessageRouter;
  readonly patterns: MessagePatterns;

  constructor(private readonly deps: MessageHandlerDeps) {
    this.patterns = new MessagePatterns(deps.registry.db);
    this.router = new MessageRouter(deps.registry, this.patterns, deps.gateway, deps.log);
  }

  async route(user: Sender, m: InboundMessage): Promise<{ routed: Routed | null; candidates: Candidate[] }> {
    const visible = await this.deps.skillAccess.visibleTo(user as Principal);
    return this.router.route({
      text: m.text,
      environment: m.environment,
      visible,
      skill: m.skill,
      channel: m.channel,
      addressed: m.addressed,
      slash: m.slash,
    });
  }

  /**
   * The run of a routed skill (or a named one: a button press) for the user, as a request: run now
   * (`run`) or queued (a channel: Slack). `caller` is who asked (a token, `channel:slack`).
   */
  async request(caller: string, user: Sender, m: InboundMessage, routed: Routed): Promise<QueuedRun> {
    const owned = await this.deps.skillAccess.owned(routed.skill);
    const who = executionUser(user, owned?.ownerTeam);
    return {
      ref: routed.skill,
      input: {
        userMessage: m.text,
        metadata: {
          ...m.metadata,
          routed: { stage: routed.stage, reason: routed.reason },
          // A command's words and what followed them; userMessage keeps the whole text.
          ...(routed.stage === 'command' ? { command: { pattern: routed.pattern, args: routed.args ?? '' } } : {}),
          ...(m.channel ? { channel: m.channel } : {}),
          ...(m.thread ? { thread: m.thread } : {}),
        },
      },
      trigger: routed.stage === 'command' ? 'command' : (m.trigger ?? 'message'),
      environment: m.environment,
      ...(who ? { user: who } : {}),
      caller,
      ...(m.source ? { source: m.source } : {}),
    };
  }

  /** Runs a routed skill for the user now, answered by its record. */
  async run(caller: string, user: Sender, m: InboundMessage, routed: Routed): Promise<ExecutionRecord> {
    const execution = await this.deps.runtime.run(await this.request(caller, user, m, routed));
    this.learn(m.text, routed, execution);
    return execution;
  }

  /**
   * What discovery learns from a routed message (run now, or a queued run once it is over): a
   * re-routing (the sender named the skill) and a search or model choice whose run succeeded
   * become that skill's examples; a bad rating of the execution later (feedback) makes it a
   * negative one. Patterns and commands already say what they match.
   */
  learn(text: string, routed: Routed, execution: Pick<ExecutionRecord, 'error'>): void {
    if (routed.stage === 'pattern' || routed.stage === 'command' || execution.error) return;
    void this.deps.registry
      .recordRouted(routed.skill, text, 'accepted')
      .catch((e: unknown) => this.deps.log.warn({ err: (e as Error).message }, 'routing: the example was not kept'));
  }

  /** Routed, run and answered; nothing routed: the closest skills as suggestions. */
  async handle(caller: string, user: Sender, m: InboundMessage): Promise<MessageAnswer> {
    const { routed, candidates } = await this.route(user, m);
    if (!routed) return unrouted(candidates);
    return answered(routed, candidates, await this.run(caller, user, m, routed));
  }
}

export function unrouted(candidates: Candidate[]): MessageAnswer {
  return {
    routed: null,
    candidates,
    execution: null,
    text: candidates.length
      ? `No skill is sure to answer that. The closest: ${candidates
          .slice(0, 3)
          .map((s) => s.skill)
          .join(', ')}. Name one to use it.`
      : 'No skill you may use answers that.',
  };
}

export function answered(routed: Routed, candidates: Candidate[], execution: ExecutionRecord): MessageAnswer {
  const result = execution.result as SkillResult | null;
  return {
    routed,
    candidates,
    execution: execution as MessageAnswer['execution'],
    text: execution.error
      ? `${routed.skill} failed: ${execution.error.message}`
      : (result?.message ?? `${routed.skill} answered`),
  };
}
