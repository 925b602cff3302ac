/**
 * A local stand-in for Slack, for tests and offline development: the Web API methods the platform
 * calls (auth.test, users.info, chat.postMessage, chat.postEphemeral) in Slack's real shapes, so
 * `@slack/web-api`'s WebClient works against it unchanged (slackApiUrl: stub.apiUrl), the
 * response_url endpoint a slash command or a button press answers through, and — playing Slack
 * the other way — signed requests to the platform's /v1/channels/slack/* routes. Every call is recorded.
 * Only node:http and node:crypto.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackStubUser {
  id: string;
  email?: string;
  name?: string;
  is_bot?: boolean;
  deleted?: boolean;
}

export interface SlackStubOptions {
  port?: number;
  host?: string;
  /** The bot token the Web API accepts (Authorization: Bearer …); others answer invalid_auth. */
  botToken?: string;
  users?: SlackStubUser[];
  /** The bot's own ids, as auth.test tells them. */
  botUserId?: string;
  botId?: string;
}

export interface SlackCall {
  method: string;
  /** The call's arguments, form fields or JSON, with JSON-encoded fields (blocks) parsed. */
  args: Record<string, unknown>;
  token: string | null;
  at: number;
  /** What the stub answered (its `ts` for a post). */
  result?: Record<string, unknown>;
}

export interface SlackStub {
  /** The WebClient's slackApiUrl: http://127.0.0.1:<port>/api/ */
  apiUrl: string;
  origin: string;
  botToken: string;
  botUserId: string;
  botId: string;
  readonly calls: readonly SlackCall[];
  /** Bodies posted to response URLs, by URL. */
  readonly responses: ReadonlyArray<{ url: string; body: Record<string, unknown>; at: number }>;
  /** A fresh response_url of this stub, as Slack puts in a command or an interaction. */
  responseUrl(): string;
  addUser(u: SlackStubUser): void;
  /**
   * The next `n` calls of `method` answer `{ ok: false, error }` (default `internal_error`, as Slack
   * says when it is having trouble): a Slack outage, for a test of what the platform does then.
   */
  failNext(method: string, n?: number, error?: string): void;
  /** Resolves with the calls of `method` once there are at least n of them (or rejects after timeoutMs). */
  waitFor(method: string, n?: number, timeoutMs?: number): Promise<SlackCall[]>;
  waitForResponses(n?: number, timeoutMs?: number): Promise<SlackStub['responses']>;
  reset(): void;
  close(): Promise<void>;
}

/** Slack's v0 request signature: HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret. */
export function slackSignature(secret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** The body of an Events API delivery of `event` (an app_mention, a message …), as Slack posts it. */
export function eventCallback(event: Record<string, unknown>, eventId: string): string {
  return JSON.stringify({ type: 'event_callback', team_id: 'TSTUB0001', event_id: eventId, event_time: 1, event });
}

/** Headers Slack sends with a signed request (timestamp: now unless given, in seconds). */
export function signedHeaders(
  secret: string,
  body: string,
  contentType: 'application/json' | 'application/x-www-form-urlencoded',
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(secret, timestamp, body),
  };
}

const MAX_BODY = 1024 * 1024;

export async function startSlackStub(o: SlackStubOptions = {}): Promise<SlackStub> {
  const botToken = o.botToken ?? `xoxb-stub-${randomBytes(8).toString('hex')}`;
  const botUserId = o.botUserId ?? 'UBOT0001';
  const botId = o.botId ?? 'BBOT0001';
  const users = new Map((o.users ?? []).map((u) => [u.id, u]));
  let calls: SlackCall[] = [];
  let responses: Array<{ url: string; body: Record<string, unknown>; at: number }> = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  let origin = '';
  let serial = 0;
  /** method → the failures still to answer (failNext). */
  const failing = new Map<string, { n: number; error: string }>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      if (size > MAX_BODY) return send(413, { ok: false, error: 'request_too_large' });
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://stub');
      let args: Record<string, unknown>;
      try {
        args = parseBody(raw, req.headers['content-type'] ?? '');
      } catch {
        return send(200, { ok: false, error: 'invalid_json' });
      }
      if (req.method === 'POST' && url.pathname.startsWith('/response/')) {
        responses.push({ url: `${origin}${url.pathname}`, body: args, at: Date.now() });
        wake();
        return send(200, { ok: true });
      }
      const m = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname);
      if (!m || req.method !== 'POST') return send(404, { ok: false, error: 'unknown_method' });
      const method = m[1]!;
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof args.token === 'string' ? args.token : null;
      const call: SlackCall = { method, args, token, at: Date.now() };
      calls.push(call);
      // The call records what was answered; waiters wake once it has.
      const answer = (status: number, body: Record<string, unknown>) => {
        call.result = body;
        send(status, body);
        wake();
      };
      if (!token) return answer(200, { ok: false, error: 'not_authed' });
      if (token !== botToken) return answer(200, { ok: false, error: 'invalid_auth' });
      const fail = failing.get(method);
      if (fail && fail.n > 0) {
        if (--fail.n === 0) failing.delete(method);
        return answer(200, { ok: false, error: fail.error });
      }
      switch (method) {
        case 'auth.test':
          return answer(200, {
            ok: true,
            url: 'https://stub.slack.com/',
            team: 'Stub',
            user: 'aspora',
            team_id: 'TSTUB0001',
            user_id: botUserId,
            bot_id: botId,
          });
        case 'users.info': {
          const u = users.get(String(args.user ?? ''));
          if (!u) return answer(200, { ok: false, error: 'user_not_found' });
          return answer(200, {
            ok: true,
            user: {
              id: u.id,
              team_id: 'TSTUB0001',
              name: u.name ?? u.id.toLowerCase(),
              deleted: u.deleted ?? false,
              real_name: u.name ?? u.id,
              is_bot: u.is_bot ?? false,
              profile: { real_name: u.name ?? u.id, ...(u.email ? { email: u.email } : {}) },
            },
          });
        }
        case 'chat.postMessage': {
          if (!args.channel) return answer(200, { ok: false, error: 'channel_not_found' });
          if (!args.text && !args.blocks) return answer(200, { ok: false, error: 'no_text' });
          const ts = `${Math.floor(Date.now() / 1000)}.${String(++serial).padStart(6, '0')}`;
          return answer(200, {
            ok: true,
            channel: args.channel,
            ts,
            message: { type: 'message', text: args.text ?? '', user: botUserId, bot_id: botId, ts },
          });
        }
        case 'chat.postEphemeral':
          if (!args.channel || !args.user) return answer(200, { ok: false, error: 'channel_not_found' });
          return answer(200, {
            ok: true,
            message_ts: `${Math.floor(Date.now() / 1000)}.${String(++serial).padStart(6, '0')}`,
          });
        default:
          return answer(200, { ok: false, error: 'unknown_method' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  origin = `http://${addr.address}:${addr.port}`;

  const waitUntil = <T>(ready: () => T | undefined, what: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const v = ready();
        if (v === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(
        () => (waiters.delete(check), reject(new Error(`slack stub: no ${what} in ${timeoutMs} ms`))),
        timeoutMs,
      );
      waiters.add(check);
      check();
    });

  return {
    apiUrl: `${origin}/api/`,
    origin,
    botToken,
    botUserId,
    botId,
    get calls() {
      return calls;
    },
    get responses() {
      return responses;
    },
    responseUrl: () => `${origin}/response/${randomBytes(8).toString('hex')}`,
    addUser: (u) => void users.set(u.id, u),
    failNext: (method, n = 1, error = 'internal_error') => void failing.set(method, { n, error }),
    waitFor(method, n = 1, timeoutMs = 10_000) {
      return waitUntil(
        () => {
          const got = calls.filter((c) => c.method === method);
          return got.length >= n ? got : undefined;
        },
        `${n} ${method}`,
        timeoutMs,
      );
    },
    waitForResponses(n = 1, timeoutMs = 10_000) {
      return waitUntil(() => (responses.length >= n ? responses : undefined), `${n} response_url posts`, timeoutMs);
    },
    reset() {
      calls = [];
      responses = [];
      failing.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Form fields (the WebClient's encoding; JSON-valued fields like blocks parsed) or a JSON body. */
function parseBody(raw: string, type: string): Record<string, unknown> {
  if (!raw) return {};
  if (type.includes('json')) return JSON.parse(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    out[k] = /^[[{]/.test(v) ? tryJson(v) : v;
  }
  return out;
}

function tryJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const stub = await startSlackStub({ port: Number(process.argv[2] ?? 0) });
  console.log(`slack stub: ${stub.apiUrl} (bot token ${stub.botToken})`);
}
