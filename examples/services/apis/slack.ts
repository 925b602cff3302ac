/**
 * slack: chat.postMessage for ecm/field/escalate-ticket. Messages are kept in memory; the answer
 * carries a permalink (real Slack needs a second call, chat.getPermalink, for that). An unknown
 * channel answers 404 — real Slack says HTTP 200 with ok: false, which the platform would hand
 * the handler as a success.
 */
import { optionalString, requireString } from '../args.ts';
import { DEMO_CREDENTIALS } from '../fixtures/credentials.ts';
import { SLACK_BOT_ID, SLACK_CHANNELS, SLACK_WORKSPACE } from '../fixtures/slack.ts';
import { badRequest, HttpError } from '../http.ts';
import type { ApiService, Clock } from '../types.ts';

const MAX_TEXT = 40_000;

interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  thread_ts?: string;
}

export function createSlack(clock: Clock): ApiService {
  const messages: SlackMessage[] = [];
  const ids = new Set(Object.values(SLACK_CHANNELS));
  let seq = 0;
  return {
    api: 'slack',
    credential: { type: 'bearer', token: DEMO_CREDENTIALS.slack },
    routes: [
      {
        name: 'postMessage',
        method: 'POST',
        path: '/chat.postMessage',
        handle: (args) => {
          const name = requireString(args, 'channel');
          const channel = SLACK_CHANNELS[name] ?? SLACK_CHANNELS[`#${name}`] ?? (ids.has(name) ? name : undefined);
          if (!channel)
            throw new HttpError(
              404,
              'channel_not_found',
              `channel ${name} does not exist in the ${SLACK_WORKSPACE} workspace`,
            );
          const text = requireString(args, 'text');
          if (text.length > MAX_TEXT) throw badRequest(`msg_too_long: text is over ${MAX_TEXT} characters`);
          // A reply must name a message of this channel, as in Slack.
          const threadTs = optionalString(args, 'thread_ts');
          if (threadTs && !messages.some((m) => m.channel === channel && m.ts === threadTs))
            throw new HttpError(404, 'thread_not_found', `no message ${threadTs} in ${name}`);
          // Slack's ts: epoch seconds plus a 6-digit sequence, unique within the workspace here.
          const ts = `${Math.floor(clock.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
          messages.push({ channel, ts, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
          return {
            ok: true,
            channel,
            ts,
            message: {
              type: 'message',
              subtype: 'bot_message',
              bot_id: SLACK_BOT_ID,
              text,
              ts,
              ...(threadTs ? { thread_ts: threadTs } : {}),
            },
            permalink: `https://${SLACK_WORKSPACE}.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
          };
        },
      },
    ],
  };
}
