/**
 * Slack incoming webhooks: `text` is what notifications and old clients show, `blocks` is the
 * message (header, detail, facts, a context line). Slack answers 200 `ok`, or a 4xx with a short
 * reason (`invalid_payload`, `no_service`, `channel_is_archived`).
 */
import { AsporaError } from '@aspora/sdk';
import { facts, originOf, postJson, snippet, statusWord, truncate } from './post-json.ts';
import { DEFAULT_TIMEOUT_MS, type DestinationOf, type Notice, type Notifier } from './types.ts';

const EMOJI: Record<Notice['severity'], string> = {
  critical: ':red_circle:',
  error: ':large_orange_circle:',
  warning: ':large_yellow_circle:',
  info: ':large_blue_circle:',
};
const RESOLVED_EMOJI = ':white_check_mark:';

// Slack's limits: a header is at most 150 characters, a section 3000, a field 2000.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;

/** Slack's mrkdwn treats &, < and > as control characters. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function slackMessage(n: Notice): { text: string; blocks: unknown[] } {
  const emoji = n.status === 'resolved' ? RESOLVED_EMOJI : EMOJI[n.severity];
  const headline = `${emoji} ${n.status === 'resolved' ? 'Resolved' : 'Firing'}: ${n.title}`;
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(headline, HEADER_MAX), emoji: true } },
  ];
  if (n.text.trim())
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(esc(n.text), SECTION_MAX) } });
  blocks.push({
    type: 'section',
    fields: facts(n).map(([k, v]) => ({ type: 'mrkdwn', text: truncate(`*${k}*\n${esc(v)}`, FIELD_MAX) })),
  });
  if (n.links?.length) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(n.links.map((l) => `<${l.url}|${esc(l.label)}>`).join('  ·  '), SECTION_MAX),
      },
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `${statusWord(n)} · ${esc(n.rule)} · key \`${esc(n.key)}\` · ${n.at}` }],
  });
  return { text: `${emoji} [${statusWord(n)}] ${esc(n.title)}`, blocks };
}

export class SlackNotifier implements Notifier<'slack'> {
  readonly channel = 'slack' as const;

  constructor(private readonly timeoutMs = DEFAULT_TIMEOUT_MS) {}

  async send(n: Notice, to: DestinationOf<'slack'>): Promise<void> {
    // The webhook URL is the credential: messages name its host only.
    const what = `Slack webhook at ${originOf(to.webhookUrl)}`;
    const res = await postJson(to.webhookUrl, slackMessage(n), { what, timeoutMs: this.timeoutMs });
    if (res.status >= 200 && res.status < 300) return;
    throw new AsporaError('UPSTREAM_ERROR', `${what} answered ${res.status}: ${snippet(res.body) || '(no body)'}`, {
      hint:
        res.status === 404 || res.status === 403 || res.status === 410
          ? 'the webhook was revoked or its channel archived: create a new incoming webhook and update slack webhook_url'
          : 'Slack refused the message; see the reason above',
      details: { channel: 'slack', status: res.status },
    });
  }
}
