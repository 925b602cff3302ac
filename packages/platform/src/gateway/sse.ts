/**
 * A provider's SSE stream on its way to a client: held back until its first token (so that a
 * model failing before it can give way to the next), then passed on event by event; metered as it
 * goes (the usage chunk, or the text for an estimate) and, when the client did not ask for usage,
 * without the usage-only chunk the gateway asked for.
 */
import { ProviderError } from './transport.ts';
import type { WireUsage } from './wire.ts';

interface Parsed {
  text: string;
  chunk: Chunk | undefined;
}

interface Chunk {
  choices?: Array<{ delta?: { content?: string | null; tool_calls?: unknown[] }; finish_reason?: string | null }>;
  usage?: WireUsage | null;
}

export class SseMeter {
  readonly #source: AsyncIterator<Buffer>;
  readonly #held: Parsed[] = [];
  #buf = '';
  #text = '';
  #usage: WireUsage | undefined;
  #ended = false;
  #resolve!: (v: { usage: WireUsage | undefined; text: string }) => void;
  #reject!: (e: unknown) => void;
  readonly done: Promise<{ usage: WireUsage | undefined; text: string }>;

  constructor(
    source: AsyncIterable<Buffer>,
    private readonly opts: { keepUsage: boolean },
  ) {
    this.#source = source[Symbol.asyncIterator]();
    this.done = new Promise((res, rej) => {
      this.#resolve = res;
      this.#reject = rej;
    });
    this.done.catch(() => undefined);
  }

  /** Reads until the first token (content, a tool call, or the end of an empty answer). */
  async firstToken(): Promise<void> {
    for (;;) {
      const events = await this.#next();
      if (events === undefined) throw new ProviderError('UPSTREAM_ERROR', 'the stream ended before its first token', true);
      this.#held.push(...events);
      if (events.some((e) => isToken(e))) return;
    }
  }

  /** Stops the provider's stream (the client went away): its connection is released now, not at the deadline. */
  cancel(): void {
    void this.#source.return?.()?.catch(() => undefined);
  }

  /**
   * What the client gets: the held events, then the rest as they come. A client that stops
   * early still has the call metered — by what was streamed to it, estimated when no usage came.
   */
  async *chunks(): AsyncGenerator<Uint8Array> {
    let settled = false;
    try {
      let out = '';
      for (const e of this.#held.splice(0)) if (this.#keep(e)) out += `${e.text}\n\n`;
      if (out) yield Buffer.from(out);
      for (let events = await this.#next(); events !== undefined; events = await this.#next()) {
        out = '';
        for (const e of events) if (this.#keep(e)) out += `${e.text}\n\n`;
        if (out) yield Buffer.from(out);
      }
      settled = true;
      this.#resolve({ usage: this.#usage, text: this.#text });
    } catch (e) {
      settled = true;
      this.#reject(e);
      throw e;
    } finally {
      if (!settled) {
        this.cancel();
        this.#resolve({ usage: this.#usage, text: this.#text });
      }
    }
  }

  /** The next complete events (each parsed once), or undefined at the end of the stream. */
  async #next(): Promise<Parsed[] | undefined> {
    for (;;) {
      const cut = this.#buf.lastIndexOf('\n\n');
      if (cut !== -1) {
        const ready = this.#buf.slice(0, cut);
        this.#buf = this.#buf.slice(cut + 2);
        const events = ready.split(/\n\n/).filter((e) => e.trim()).map((text) => this.#parsed(text));
        if (events.length) return events;
      }
      if (this.#ended) {
        const rest = this.#buf.trim();
        this.#buf = '';
        return rest ? [this.#parsed(rest)] : undefined;
      }
      let r: IteratorResult<Buffer>;
      try {
        r = await this.#source.next();
      } catch (e) {
        throw new ProviderError('UPSTREAM_ERROR', `the stream broke: ${(e as Error).message}`, true);
      }
      if (r.done) this.#ended = true;
      else this.#buf += r.value.toString('utf8');
    }
  }

  #parse(event: string): Chunk | undefined {
    const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
    if (!data || data === '[DONE]') return undefined;
    try {
      return JSON.parse(data) as Chunk;
    } catch {
      throw new ProviderError('UPSTREAM_ERROR', `the stream carried an event that is not JSON: ${JSON.stringify(data.slice(0, 80))}`, true);
    }
  }

  /** Parses an event once, and meters it: the usage chunk, the text for an estimate. */
  #parsed(text: string): Parsed {
    const chunk = this.#parse(text);
    if (chunk?.usage) this.#usage = chunk.usage;
    for (const ch of chunk?.choices ?? []) if (ch.delta?.content) this.#text += ch.delta.content;
    return { text, chunk };
  }

  #keep(e: Parsed): boolean {
    if (this.opts.keepUsage) return true;
    const c = e.chunk;
    return !(c && c.usage && (!c.choices || c.choices.length === 0));
  }
}

function isToken(e: Parsed): boolean {
  return !!e.chunk?.choices?.some((ch) => !!ch.delta?.content || (ch.delta?.tool_calls?.length ?? 0) > 0 || !!ch.finish_reason) || e.text.includes('[DONE]');
}
