/**
 * Token → principal, fast: after a token's first use its principal is served from memory, so a
 * check costs a SHA-256 and a map lookup, no database round trip. Every process polls the
 * access_changes feed (one indexed read every 500 ms, whatever the traffic) and drops its cache
 * when anything changed — a revocation, a membership, a user — so a change holds everywhere within
 * a second. Expiry is checked on every use from the cached expiry.
 */
import type { Db } from '../db/types.ts';
import type { Logger } from '../observe/logger.ts';
import type { Principal } from './principal.ts';
import type { TokenStore } from './token-store.ts';
import { hashToken, MAX_TOKEN_LENGTH } from './tokens.ts';

export type AuthResult = { principal: Principal } | { refused: 'unknown' | 'expired' | 'revoked' | 'malformed' };

/** Cached principals at most; past it the cache starts over (a bound, not an LRU: tokens are few). */
const MAX_CACHED = 50_000;

export class Authenticator {
  readonly #cache = new Map<string, Principal>();
  /**
   * Hashes of tokens that stood for someone here once. Unlike the cache it survives changes: it
   * only says a token is worth checking (a blocked source still gets its tokens checked), never
   * what it may do, so a revoked one among them is refused by the check as any other.
   */
  readonly #seen = new Set<string>();
  #seq = -1;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly tokens: TokenStore,
    private readonly log: Logger,
    readonly pollMs = 500,
  ) {}

  /** Reads the change feed's head, then keeps watching it. */
  async start(): Promise<void> {
    await this.poll();
    this.#timer = setInterval(() => {
      this.#polling ??= this.poll()
        .catch((err: unknown) => this.log.warn({ err }, 'access change feed: poll failed'))
        .finally(() => {
          this.#polling = undefined;
        });
    }, this.pollMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#polling;
  }

  /** Drops every cached principal when the feed moved (here or in another process). */
  async poll(): Promise<void> {
    const [r] = await this.db.query<{ seq: string | number | null }>('SELECT max(seq) AS seq FROM access_changes');
    const seq = Number(r?.seq ?? 0);
    if (seq !== this.#seq) {
      this.#cache.clear();
      this.#seq = seq;
    }
  }

  /** A change made by this process holds here at once. */
  invalidate(): void {
    this.#cache.clear();
  }

  /** Whether this token stood for someone here before (a cheap check, no database). */
  known(token: string): boolean {
    if (token.length > MAX_TOKEN_LENGTH) return false;
    const key = hashToken(token).toString('hex');
    return this.#cache.has(key) || this.#seen.has(key);
  }

  async check(token: string): Promise<AuthResult> {
    if (!token || token.length > MAX_TOKEN_LENGTH) return { refused: 'malformed' };
    const hash = hashToken(token);
    const key = hash.toString('hex');
    let p = this.#cache.get(key);
    if (!p) {
      const seq = this.#seq;
      const r = await this.tokens.load(hash);
      if ('refused' in r) return r;
      p = r.principal;
      if (this.#seen.size >= MAX_CACHED) this.#seen.clear();
      this.#seen.add(key);
      // A change seen while loading may predate what was read: cache only what the feed has not moved past.
      if (seq === this.#seq) {
        if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
        this.#cache.set(key, p);
      }
      this.tokens.touch(p.tokenId).catch(() => {});
    }
    if (p.expiresAt !== null && p.expiresAt <= Date.now()) {
      this.#cache.delete(key);
      return { refused: 'expired' };
    }
    return { principal: p };
  }
}
