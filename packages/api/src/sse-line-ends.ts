/**
 * eventsource-parser holds a CR that ends a read until the next byte shows whether an LF follows,
 * so with CR-only framing every event would wait for the next one. A final CR is one line end
 * either way: it is completed to CRLF at once, and an LF opening the next read is dropped as the
 * rest of it. One instance per stream; the gateway and the client both feed their parser through it.
 */
export class FinalCrAsLineEnd {
  #crPending = false;

  /** The text to feed the parser for this read ('' when nothing is left). */
  next(s: string): string {
    if (!s) return s;
    if (this.#crPending && s.charCodeAt(0) === 10) s = s.slice(1);
    this.#crPending = s.charCodeAt(s.length - 1) === 13;
    return this.#crPending ? `${s}\n` : s;
  }
}
