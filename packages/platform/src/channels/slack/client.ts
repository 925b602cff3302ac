/**
 * The platform's side of Slack's Web API, through Slack's own SDK (@slack/web-api): who a Slack
 * user is (users.info → e-mail), the bot's own id (auth.test), posts (chat.postMessage,
 * chat.postEphemeral), and answers through a command's or a button's response_url — posted only
 * where the configured prefix allows (https://hooks.slack.com/ by default), whatever a request says.
 */
import { AsporaError } from '@aspora/sdk';
import { WebClient } from '@slack/web-api';
import type { SlackMessage } from './blocks.ts';

export interface SlackClientConfig {
  apiUrl: string;
  responseUrlPrefix: string;
  /** Read per use: a token rotated in the vault takes effect at once. */
  botToken: () => string | undefined;
}

const TIMEOUT_MS = 10_000;
/** A changed e-mail or a new user is seen within this long. */
const USER_TTL_MS = 60_000;
const USER_CACHE = 2000;

export interface SlackUser {
  id: string;
  email: string | null;
  isBot: boolean;
}

export class SlackClient {
  #client: WebClient | undefined;
  #token: string | undefined;
  #botUserId: Promise<string | null> | undefined;
  readonly #users = new Map<string, { user: SlackUser | null; at: number }>();

  constructor(private readonly config: SlackClientConfig) {}

  get configured(): boolean {
    return !!this.config.botToken();
  }

  private web(): WebClient {
    const token = this.config.botToken();
    if (!token)
      throw new AsporaError('UNAVAILABLE', 'Slack is not set up: no bot token', {
        hint: 'set SLACK_BOT_TOKEN (aspora.platform.yaml secrets:, or aspora platform-secrets set SLACK_BOT_TOKEN)',
      });
    if (token !== this.#token || !this.#client) {
      this.#token = token;
      this.#botUserId = undefined;
      // A few quick retries, not the SDK's default of ten over half an hour: the person is waiting.
      this.#client = new WebClient(token, {
        slackApiUrl: this.config.apiUrl,
        timeout: TIMEOUT_MS,
        retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
        rejectRateLimitedCalls: true,
      });
    }
    return this.#client;
  }

  /** users.info answers for a while: every channel message would otherwise cost a Web API call (Tier 4: 100 a minute). */
  async user(id: string): Promise<SlackUser | null> {
    const hit = this.#users.get(id);
    if (hit && Date.now() - hit.at < USER_TTL_MS) return hit.user;
    const user = await this.#lookUp(id);
    if (this.#users.size >= USER_CACHE) this.#users.delete(this.#users.keys().next().value!);
    this.#users.set(id, { user, at: Date.now() });
    return user;
  }

  async #lookUp(id: string): Promise<SlackUser | null> {
    try {
      const r = await this.web().users.info({ user: id });
      const u = r.user;
      if (!u || u.deleted) return null;
      return { id, email: u.profile?.email?.toLowerCase() ?? null, isBot: !!u.is_bot };
    } catch (e) {
      if ((e as { data?: { error?: string } }).data?.error === 'user_not_found') return null;
      throw e;
    }
  }

  /** The app's own bot user id, to ignore its own messages (asked once per token). */
  botUserId(): Promise<string | null> {
    const web = this.web();
    this.#botUserId ??= web.auth.test().then(
      (r) => r.user_id ?? null,
      () => ((this.#botUserId = undefined), null),
    );
    return this.#botUserId;
  }

  async post(channel: string, m: SlackMessage, threadTs?: string): Promise<string | undefined> {
    const r = await this.web().chat.postMessage({
      channel,
      text: m.text,
      blocks: m.blocks as never,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    return r.ts;
  }

  async ephemeral(channel: string, user: string, m: SlackMessage, threadTs?: string): Promise<void> {
    await this.web().chat.postEphemeral({
      channel,
      user,
      text: m.text,
      blocks: m.blocks as never,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
  }

  /** Answers through a response_url (valid for 30 minutes, 5 uses, per Slack). */
  async respond(url: string, m: SlackMessage & Record<string, unknown>): Promise<void> {
    if (!url.startsWith(this.config.responseUrlPrefix))
      throw new AsporaError('BAD_REQUEST', 'response_url is not a Slack URL', {
        hint: `the platform answers only at ${this.config.responseUrlPrefix}… (channels.slack.response_url_prefix)`,
      });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(m),
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (!res.ok) throw new AsporaError('UPSTREAM_ERROR', `Slack's response_url answered ${res.status}`);
  }
}
