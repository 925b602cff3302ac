/**
 * A provider's SSE stream on its way to a client: held back until its first token (so that a
 * model failing before it can give way to the next), then passed on event by event; metered as it
 * goes (the usage chunk, or the text for an estimate) and, when the client did not ask for usage,
 * without the usage-only chunk the gateway asked for.
 */
import { FinalCrAsLineEnd } from '@aspora/api';
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { ProviderError } from './transport.ts';
import type { WireUsage } from './wire.ts';

interface Parsed {
  /** The event as the client gets it, re-framed with LF whatever line ending the provider used. */
  text: string;
  chunk: Chunk | undefined;
  done: boolean;
}

interface Chunk {
  choices?: Array<{ delta?: { content?: string | null; tool_calls?: unknown[] }; finish_reason?: string | null }>;
  usage?: WireUsage | null;
}

/** A line or an event the parser may hold unfinished: far above any real chunk, a bound on a provider that never ends one. */
export const MAX_EVENT_CHARS = 4 * 1024 * 1024;

export class SseMeter {
  readonly #source: AsyncIterator<Buffer>;
  readonly #held: Parsed[] = [];
  readonly #parser: EventSourceParser;
  /** Events parsed from the bytes read so far, not yet handed out. */
  #ready: Parsed[] = [];
  #parseError: ProviderError | undefined;
  readonly #decoder = new TextDecoder();
  readonly #lineEnds = new FinalCrAsLineEnd();
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
    // SSE framing (LF, CRLF or CR line ends, comments, multi-line data) is the parser's; metering is ours.
    this.#parser = createParser({
      maxBufferSize: MAX_EVENT_CHARS,
      onEvent: (e) => {
        if (!this.#parseError) this.#ready.push(this.#parsed(e));
      },
      // Comments are keep-alives (OpenRouter's ": OPENROUTER PROCESSING"): passed on, so the client's connection stays alive too.
      onComment: (c) => this.#ready.push({ text: `: ${c}`, chunk: undefined, done: false }),
      onError: (e) => {
        // Unknown fields and a bad retry are ignored, as the SSE standard says; an endless line or event is not.
        if (e.type === 'max-buffer-size-exceeded')
          this.#parseError ??= new ProviderError(
            'UPSTREAM_ERROR',
            `the stream carried a line or event of more than ${MAX_EVENT_CHARS} characters`,
            true,
          );
      },
    });
  }

  /** Reads until the first token (content, a tool call, or the end of an empty answer). */
  async firstToken(): Promise<void> {
    for (;;) {
      const events = await this.#next();
      if (events === undefined)
        throw new ProviderError('UPSTREAM_ERROR', 'the stream ended before its first token', true);
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
      if (this.#parseError) throw this.#parseError;
      if (this.#ready.length) return this.#ready.splice(0);
      if (this.#ended) return undefined;
      let r: IteratorResult<Buffer>;
      try {
        r = await this.#source.next();
      } catch (e) {
        throw new ProviderError('UPSTREAM_ERROR', `the stream broke: ${(e as Error).message}`, true);
      }
      if (r.done) {
        this.#ended = true;
        // An event the provider did not close with a blank line still counts.
        this.#parser.feed(`${this.#decoder.decode()}\n\n`);
      } else this.#feed(this.#decoder.decode(r.value, { stream: true }));
    }
  }

  #feed(s: string): void {
    const t = this.#lineEnds.next(s); // '' when the decoder holds an incomplete character
    if (t) this.#parser.feed(t);
  }

  #parse(data: string): Chunk | undefined {
    if (!data || data === '[DONE]') return undefined;
    try {
      return JSON.parse(data) as Chunk;
    } catch {
      throw new ProviderError(
        'UPSTREAM_ERROR',
        `the stream carried an event that is not JSON: ${JSON.stringify(data.slice(0, 80))}`,
        true,
      );
    }
  }

  /** Parses an event once, and meters it: the usage chunk, the text for an estimate. */
  #parsed(e: EventSourceMessage): Parsed {
    let chunk: Chunk | undefined;
    try {
      chunk = this.#parse(e.data);
    } catch (err) {
      // Thrown from inside the parser's callback: kept, and thrown to the reader by #next().
      this.#parseError = err as ProviderError;
      return { text: '', chunk: undefined, done: false };
    }
    if (chunk?.usage) this.#usage = chunk.usage;
    for (const ch of chunk?.choices ?? []) if (ch.delta?.content) this.#text += ch.delta.content;
    return { text: frame(e), chunk, done: e.data === '[DONE]' };
  }

  #keep(e: Parsed): boolean {
    if (this.opts.keepUsage) return true;
    const c = e.chunk;
    return !(c?.usage && (!c.choices || c.choices.length === 0));
  }
}

function isToken(e: Parsed): boolean {
  return (
    e.done ||
    !!e.chunk?.choices?.some(
      (ch) => !!ch.delta?.content || (ch.delta?.tool_calls?.length ?? 0) > 0 || !!ch.finish_reason,
    )
  );
}

/** An event written back as SSE (without its closing blank line): its fields, one `data:` line per line of data. */
function frame(e: EventSourceMessage): string {
  const data = e.data.includes('\n')
    ? e.data
        .split('\n')
        .map((l) => `data: ${l}`)
        .join('\n')
    : `data: ${e.data}`;
  if (e.event === undefined && e.id === undefined) return data;
  return `${e.event !== undefined ? `event: ${e.event}\n` : ''}${e.id !== undefined ? `id: ${e.id}\n` : ''}${data}`;
}
