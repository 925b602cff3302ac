/**
 * A skill's answer as Slack Block Kit: a section with the skill's message, a context line naming
 * the skill and why it answered, and — where the result asks for them — buttons.
 *
 * The buttons convention (SkillResult data): `data.actions: [{ id, text, value? }]`. A press comes
 * back at /v1/channels/slack/interactions as a new execution of the same skill, with
 * `input.metadata.action = { id, value }`. `data.thread: true` asks for the answer in a thread
 * under the message that asked (seed 003's per-agent threads). Everything taken from the result is
 * bounded to Slack's own limits; what does not fit is cut or left out, never sent whole.
 */
import type { MessageAnswer } from '@aspora/api';

/** Slack's limits: section text 3000, a button's text 75 and value 2000, 25 elements an actions block. */
const SECTION_MAX = 3000;
const CONTEXT_MAX = 300;
const MAX_BUTTONS = 5;
const BUTTON_TEXT_MAX = 75;
const VALUE_MAX = 2000;
const ACTION_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Marks the platform's own buttons: action_id `aspora:<id>`. */
export const ACTION_PREFIX = 'aspora:';

export interface SkillAction {
  id: string;
  text: string;
  value?: string;
  /** A link button (seed 003's [View Dashboard]): opens the URL, runs nothing. https only. */
  url?: string;
}

/** Seed 003's per-agent threads: replies posted in the answer's thread, at most this many. */
const MAX_THREAD_REPLIES = 20;
const URL_MAX = 3000;

/** What a button carries back: the skill to run again and the action. */
export interface ButtonValue {
  skill: string;
  id: string;
  value: string;
}

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The result's buttons, well-formed ones only. */
export function actionsOf(data: unknown): SkillAction[] {
  const list = (data as { actions?: unknown } | null)?.actions;
  if (!Array.isArray(list)) return [];
  const out: SkillAction[] = [];
  for (const a of list.slice(0, MAX_BUTTONS)) {
    if (!a || typeof a !== 'object') continue;
    const { id, text, value } = a as Record<string, unknown>;
    if (typeof id !== 'string' || !ACTION_ID.test(id) || typeof text !== 'string' || !text) continue;
    if (out.some((o) => o.id === id)) continue; // Slack refuses a message with two equal action_ids
    const url = (a as Record<string, unknown>).url;
    const link = typeof url === 'string' && url.length <= URL_MAX && /^https:\/\/[^\s]+$/.test(url) ? url : undefined;
    out.push({
      id,
      text: cut(text, BUTTON_TEXT_MAX),
      ...(typeof value === 'string' ? { value } : {}),
      ...(link ? { url: link } : {}),
    });
  }
  return out;
}

export const wantsThread = (data: unknown): boolean => (data as { thread?: unknown } | null)?.thread === true;

/** `data.threads: [{ text }]`: replies in the answer's thread (one per agent, in seed 003). */
export function threadReplies(data: unknown): SlackMessage[] {
  const list = (data as { threads?: unknown } | null)?.threads;
  if (!Array.isArray(list)) return [];
  return list
    .slice(0, MAX_THREAD_REPLIES)
    .flatMap((r) =>
      r && typeof r === 'object' && typeof (r as { text?: unknown }).text === 'string' && (r as { text: string }).text
        ? [noticeBlocks((r as { text: string }).text)]
        : [],
    );
}

export function encodeButton(v: ButtonValue): string | null {
  const s = JSON.stringify({ s: v.skill, i: v.id, v: v.value });
  return s.length <= VALUE_MAX ? s : null;
}

export function decodeButton(raw: unknown): ButtonValue | null {
  if (typeof raw !== 'string' || raw.length > VALUE_MAX) return null;
  try {
    const o = JSON.parse(raw) as Record<string, unknown>;
    if (typeof o.s !== 'string' || typeof o.i !== 'string' || typeof o.v !== 'string') return null;
    if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(o.s) || !ACTION_ID.test(o.i)) return null;
    return { skill: o.s, id: o.i, value: o.v };
  } catch {
    return null;
  }
}

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

/** The answer as Block Kit, with `text` as the notification's fallback. */
export function answerBlocks(a: MessageAnswer): SlackMessage {
  const text = cut(a.text || ' ', SECTION_MAX);
  const blocks: Array<Record<string, unknown>> = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (a.routed) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: cut(`*${a.routed.skill}* · ${a.routed.reason}`, CONTEXT_MAX) }],
    });
    const buttons = actionsOf((a.execution?.result as { data?: unknown } | null)?.data).flatMap(
      (act): Array<Record<string, unknown>> => {
        // A link opens its page; its press still reaches /interactions, where `link:` is ignored.
        if (act.url)
          return [
            { type: 'button', action_id: `link:${act.id}`, text: { type: 'plain_text', text: act.text }, url: act.url },
          ];
        const value = encodeButton({ skill: a.routed!.skill, id: act.id, value: act.value ?? '' });
        return value
          ? [
              {
                type: 'button',
                action_id: `${ACTION_PREFIX}${act.id}`,
                text: { type: 'plain_text', text: act.text },
                value,
              },
            ]
          : [];
      },
    );
    if (buttons.length) blocks.push({ type: 'actions', elements: buttons });
  }
  return { text, blocks };
}

/** A short reply with no skill behind it (an unknown user, a refusal). */
export function noticeBlocks(text: string): SlackMessage {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: cut(text, SECTION_MAX) } }] };
}
