/**
 * Which skill answers a message. In order: a skill the caller names (a re-routing); the skills'
 * commands the message starts with (the longest wins); their message patterns (the most specific
 * phrase wins); discovery search over what is deployed; and,
 * when the best search candidates are close, a cheap model's choice among them. Only skills the
 * user may see are ever candidates. Every decision says why.
 */
import type { ModelGateway } from '../gateway/gateway.ts';
import type { SkillRegistry } from '../registry/index.ts';
import type { Logger } from '../observe/logger.ts';
import { modelChoice } from './choose.ts';
import type { MessagePatterns, PatternHit } from './patterns.ts';

/** Below this search score nothing is routed: the closest skills are offered instead. */
export const MIN_SCORE = 0.35;
/** The runner-up is "close" at this share of the best score or more: the model decides, when there is one. */
export const CLOSE_RATIO = 0.85;
/** Candidates the model is shown. */
const MODEL_CANDIDATES = 5;
/** Suggestions given back. */
const SUGGESTIONS = 5;

export interface Routed {
  skill: string;
  stage: 'explicit' | 'command' | 'pattern' | 'search' | 'model';
  reason: string;
  pattern?: string;
  /** A command's arguments: the message's text after the command's words. */
  args?: string;
  score?: number;
}

export interface Candidate {
  skill: string;
  description: string;
  score: number;
}

export interface RouteRequest {
  text: string;
  environment: 'staging' | 'production';
  visible: (ref: string) => boolean;
  /** A skill the caller names (domain/name). */
  skill?: string | undefined;
  /** Where the message came from: a trigger's `channels` limit where it matches. */
  channel?: string | undefined;
  /** Sent to the app itself (a Slack mention leading it, a slash command): see MessageSource. */
  addressed?: boolean | undefined;
  /** The slash command the message was (Slack's signed request only): see MessageSource. */
  slash?: string | undefined;
}

export class MessageRouter {
  constructor(
    private readonly registry: SkillRegistry,
    private readonly patterns: MessagePatterns,
    private readonly gateway: ModelGateway | undefined,
    private readonly log: Logger,
  ) {}

  async route(r: RouteRequest): Promise<{ routed: Routed | null; candidates: Candidate[] }> {
    // A slash command with no text is searched by its name (`/ecm-dashboard`: ecm-dashboard).
    const query = r.text.trim() || (r.slash ?? '').replace(/^\//, '');
    const hits = (query ? await this.registry.searchSkills(query, { environment: r.environment, limit: 40 }) : [])
      .filter((h) => r.visible(h.skill.ref))
      .map((h) => ({ skill: h.skill.ref, description: h.skill.description, score: h.score }));
    const candidates = hits.slice(0, SUGGESTIONS);

    if (r.skill) {
      // Named by the caller: only if they may see it (else, as for any unseen skill, it does not exist).
      if (!r.visible(r.skill)) return { routed: null, candidates };
      return { routed: { skill: r.skill, stage: 'explicit', reason: 'named by the sender' }, candidates };
    }

    const from = { channel: r.channel, addressed: r.addressed, slash: r.slash };
    const commands = await this.patterns.commands(r.text, r.environment, r.visible, from);
    if (commands.length) {
      const top = commands.filter((c) => c.words === commands[0]!.words);
      // Commands of several skills match as long: search and the model decide among those only.
      const decided =
        top.length === 1
          ? undefined
          : await this.decide(query, among(hits, top), `commands of ${top.length} skills match`);
      const c = top.find((x) => x.ref === decided?.skill) ?? top[0]!;
      return {
        routed: {
          skill: c.ref,
          stage: 'command',
          pattern: c.pattern,
          args: c.args,
          reason: `starts with its command "${c.pattern}"${decided ? `; ${decided.reason}` : ''}`,
        },
        candidates,
      };
    }

    const matched = await this.patterns.match(r.text, r.environment, r.visible, from);
    if (matched.length) {
      const top = matched.filter((m) => m.words === matched[0]!.words);
      if (top.length === 1) {
        const m = top[0]!;
        return {
          routed: { skill: m.ref, stage: 'pattern', pattern: m.pattern, reason: `matches its pattern "${m.pattern}"` },
          candidates,
        };
      }
      // Several skills' phrases match as specifically: search and the model decide among them only.
      return {
        routed: await this.decide(r.text, among(hits, top), `patterns of ${top.length} skills match`),
        candidates,
      };
    }

    if (!hits.length || hits[0]!.score < MIN_SCORE) return { routed: null, candidates };
    return { routed: await this.decide(r.text, hits, undefined), candidates };
  }

  /** The best of `ranked` (best first), or the model's choice when the runner-up is close. */
  private async decide(text: string, ranked: Candidate[], context: string | undefined): Promise<Routed | null> {
    const [best, second] = ranked;
    if (!best) return null;
    const close = !!second && second.score >= best.score * CLOSE_RATIO;
    const prefix = context ? `${context}; ` : '';
    if (close && this.gateway?.configured) {
      const shown = ranked.filter((c) => c.score >= best.score * CLOSE_RATIO).slice(0, MODEL_CANDIDATES);
      try {
        const choice = await modelChoice(
          this.gateway,
          text,
          shown.map((c) => ({ ref: c.skill, description: c.description })),
        );
        if (choice.ref) {
          const chosen = shown.find((c) => c.skill === choice.ref)!;
          return {
            skill: choice.ref,
            stage: 'model',
            score: round(chosen.score),
            reason: `${prefix}${shown.length} close candidates; ${choice.model} chose it: ${choice.reason}`,
          };
        }
        this.log.info({ reason: choice.reason }, 'routing: the model chose none of the close candidates');
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'routing: the model step failed; the best search score decides');
      }
    }
    return {
      skill: best.skill,
      stage: 'search',
      score: round(best.score),
      reason: second
        ? `${prefix}best search score ${round(best.score)} (next ${second.skill} ${round(second.score)}${close ? ', close' : ''})`
        : `${prefix}best search score ${round(best.score)}`,
    };
  }
}

/** The search hits of the tied skills, best first; a tied skill search did not find comes last. */
function among(hits: Candidate[], tied: PatternHit[]): Candidate[] {
  const refs = new Set(tied.map((m) => m.ref));
  const out = hits.filter((h) => refs.has(h.skill));
  for (const m of tied) if (!out.some((h) => h.skill === m.ref)) out.push({ skill: m.ref, description: '', score: 0 });
  return out;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
