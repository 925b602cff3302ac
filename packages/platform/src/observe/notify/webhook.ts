/** A generic webhook: the Notice itself as JSON, with the configured headers (auth, routing). */
import { AsporaError } from '@aspora/sdk';
import { originOf, postJson, snippet } from './post-json.ts';
import { DEFAULT_TIMEOUT_MS, type DestinationOf, type Notice, type Notifier } from './types.ts';

export class WebhookNotifier implements Notifier<'webhook'> {
  readonly channel = 'webhook' as const;

  constructor(private readonly timeoutMs = DEFAULT_TIMEOUT_MS) {}

  async send(n: Notice, to: DestinationOf<'webhook'>): Promise<void> {
    const what = `webhook at ${originOf(to.url)}`;
    // No retry: a receiver that answered 5xx may still have acted on the notice, and a generic
    // receiver cannot be assumed to deduplicate by key.
    const res = await postJson(to.url, n, { what, timeoutMs: this.timeoutMs, headers: to.headers });
    if (res.status >= 200 && res.status < 300) return;
    throw new AsporaError('UPSTREAM_ERROR', `${what} answered ${res.status}: ${snippet(res.body) || '(no body)'}`, {
      hint:
        res.status === 401 || res.status === 403
          ? 'the receiver refused the credentials: check notifiers.webhook.headers'
          : 'check the receiver and its logs',
      details: { channel: 'webhook', status: res.status },
    });
  }
}
