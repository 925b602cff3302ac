import type { OutgoingHttpHeaders } from 'node:http';
import { HttpError } from './http.ts';
import type { ReplyFn, StubReply } from './types.ts';

/**
 * Fault injection for /v1/chat/completions. A behaviour is registered for one model id or '*'
 * (every model) and applies to every matching request, or to the next `times` of them.
 * Behaviours of different kinds compose (e.g. a delay and a cost); for one kind the first
 * registered wins, model-specific behaviours before '*'.
 */
export type StubBehaviour =
  /** Answer with this status and OpenAI's error envelope. */
  | { status: 500 | 502 | 503 | 504; times?: number }
  /** Answer 429 rate_limit_exceeded, with `Retry-After: <retryAfterSeconds>` when given. */
  | { status: 429; retryAfterSeconds?: number; times?: number }
  /** Wait `delayMs` before the first byte; for streams also `chunkDelayMs` between chunks. */
  | { delayMs?: number; chunkDelayMs?: number; times?: number }
  /** 200 with a body that is not JSON; for streams, a few good chunks then a cut connection. */
  | { malformed: true; times?: number }
  /** A deterministic pseudo-random `failRate` fraction (0..1) of requests answer 500. */
  | { failRate: number; seed?: number; times?: number }
  /** Fixed reply content (or a function of the request, which may also return tool calls). */
  | { reply: string | StubReply | ReplyFn; times?: number }
  /** Omit `usage` (and the include_usage chunk of streams), as some providers do. */
  | { usage: false; times?: number }
  /** Add `usage.cost` (USD), as OpenRouter reports it. */
  | { cost: number; times?: number }
  /** Streams end their lines with CRLF or a lone CR (both valid SSE) instead of LF. */
  | { framing: 'crlf' | 'cr'; times?: number };

/** What the matching behaviours decided for one request. */
export interface Plan {
  error?: HttpError;
  malformed: boolean;
  delayMs: number;
  chunkDelayMs: number;
  reply?: string | StubReply | ReplyFn;
  usage: boolean;
  cost?: number;
  framing?: 'crlf' | 'cr';
}

type Loose = {
  status?: number;
  retryAfterSeconds?: number;
  delayMs?: number;
  chunkDelayMs?: number;
  malformed?: boolean;
  failRate?: number;
  seed?: number;
  reply?: string | StubReply | ReplyFn;
  usage?: boolean;
  cost?: number;
  framing?: 'crlf' | 'cr';
  times?: number;
};

interface Active {
  b: Loose;
  remaining: number;
  next?: () => number;
}

const KEYS = new Set([
  'status',
  'retryAfterSeconds',
  'delayMs',
  'chunkDelayMs',
  'malformed',
  'failRate',
  'seed',
  'reply',
  'usage',
  'cost',
  'framing',
  'times',
]);
const KINDS = [
  'status',
  'delayMs',
  'chunkDelayMs',
  'malformed',
  'failRate',
  'reply',
  'usage',
  'cost',
  'framing',
] as const;

const STATUS_TEXT: Record<number, string> = {
  500: 'The server had an error while processing your request. Sorry about that!',
  502: 'Bad gateway.',
  503: 'The server is overloaded or not ready yet.',
  504: 'Gateway timeout.',
};

/** mulberry32: tiny, fast, good enough for "30 % of requests". */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function statusError(status: number, retryAfterSeconds?: number): HttpError {
  if (status === 429) {
    const headers: OutgoingHttpHeaders | undefined =
      retryAfterSeconds === undefined ? undefined : { 'retry-after': String(retryAfterSeconds) };
    return new HttpError(429, 'Rate limit reached for requests. Please try again later.', {
      type: 'requests',
      code: 'rate_limit_exceeded',
      ...(headers && { headers }),
    });
  }
  return new HttpError(status, STATUS_TEXT[status] ?? `injected ${status}`);
}

function validate(b: Loose): void {
  if (b === null || typeof b !== 'object') throw new TypeError('behaviour must be an object');
  const keys = Object.keys(b);
  for (const k of keys) if (!KEYS.has(k)) throw new TypeError(`unknown behaviour key '${k}'`);
  if (!KINDS.some((k) => k in b)) throw new TypeError(`behaviour needs one of ${KINDS.join(', ')}`);
  const nonNegative = (k: keyof Loose) => {
    const v = b[k];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && Number.isFinite(v)))
      throw new TypeError(`'${k}' must be a non-negative number`);
  };
  (['retryAfterSeconds', 'delayMs', 'chunkDelayMs', 'cost'] as const).forEach(nonNegative);
  if (b.status !== undefined && ![429, 500, 502, 503, 504].includes(b.status))
    throw new TypeError(`unsupported status ${b.status}`);
  if (b.retryAfterSeconds !== undefined && b.status !== 429)
    throw new TypeError("'retryAfterSeconds' goes with status 429");
  if (b.failRate !== undefined && !(b.failRate >= 0 && b.failRate <= 1))
    throw new TypeError("'failRate' must be within 0..1");
  if (b.malformed !== undefined && b.malformed !== true) throw new TypeError("'malformed' must be true");
  if (b.usage !== undefined && b.usage !== false) throw new TypeError("'usage' must be false");
  if (b.framing !== undefined && b.framing !== 'crlf' && b.framing !== 'cr')
    throw new TypeError("'framing' must be 'crlf' or 'cr'");
  if (b.times !== undefined && !(Number.isInteger(b.times) && b.times >= 1))
    throw new TypeError("'times' must be a positive integer");
}

export class Behaviours {
  private readonly byModel = new Map<string, Active[]>();

  /** Registers a behaviour; the returned function removes it again. */
  add(model: string, behaviour: StubBehaviour): () => void {
    const b = { ...(behaviour as Loose) };
    validate(b);
    const active: Active = { b, remaining: b.times ?? Infinity };
    if (b.failRate !== undefined) active.next = seededRandom(b.seed ?? 1);
    let list = this.byModel.get(model);
    if (!list) this.byModel.set(model, (list = []));
    list.push(active);
    return () => this.remove(model, active);
  }

  clear(): void {
    this.byModel.clear();
  }

  /** Decides the fate of one request to `model`; undefined when no behaviour applies (the fast path). */
  plan(model: string): Plan | undefined {
    if (this.byModel.size === 0) return undefined;
    const own = model === '*' ? undefined : this.byModel.get(model);
    const any = this.byModel.get('*');
    if (!own && !any) return undefined;
    const plan: Plan = { malformed: false, delayMs: 0, chunkDelayMs: 0, usage: true };
    let faultDecided = false;
    let delayDecided = false;
    const spent: [string, Active][] = [];
    for (const [key, list] of [
      [model, own],
      ['*', any],
    ] as const) {
      for (const a of list ?? []) {
        const b = a.b;
        let used = false;
        if (!faultDecided && (b.status !== undefined || b.malformed || b.failRate !== undefined)) {
          faultDecided = used = true;
          if (b.status !== undefined) plan.error = statusError(b.status, b.retryAfterSeconds);
          else if (b.malformed) plan.malformed = true;
          else if (a.next!() < b.failRate!) plan.error = statusError(500);
        }
        if (!delayDecided && (b.delayMs !== undefined || b.chunkDelayMs !== undefined)) {
          delayDecided = used = true;
          plan.delayMs = b.delayMs ?? 0;
          plan.chunkDelayMs = b.chunkDelayMs ?? 0;
        }
        if (plan.reply === undefined && b.reply !== undefined) {
          plan.reply = b.reply;
          used = true;
        }
        if (plan.usage && b.usage === false) {
          plan.usage = false;
          used = true;
        }
        if (plan.cost === undefined && b.cost !== undefined) {
          plan.cost = b.cost;
          used = true;
        }
        if (plan.framing === undefined && b.framing !== undefined) {
          plan.framing = b.framing;
          used = true;
        }
        if (used && --a.remaining <= 0) spent.push([key, a]);
      }
    }
    for (const [key, a] of spent) this.remove(key, a);
    return plan;
  }

  private remove(model: string, active: Active): void {
    const list = this.byModel.get(model);
    if (!list) return;
    const i = list.indexOf(active);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byModel.delete(model);
  }
}
