/**
 * The platform's own credentials kept in the encrypted vault (`{ sealed: true }` in
 * aspora.platform.yaml): set and removed by admins through the API, read by the host where it
 * authenticates to an API, a model provider or a notifier. Those reads are synchronous and on
 * every call, so the opened values are held in memory: loaded at start, reloaded every few seconds
 * (another process's change lands within that), and at once after a change made here.
 */
import { AsporaError } from '@aspora/sdk';
import type { Logger } from '../observe/logger.ts';
import { PLATFORM_VAULT, type SealedSecretStore, type SecretEntry } from './sealed-store.ts';

export const PLATFORM_SEALED_REFRESH_MS = 5_000;

export class PlatformSealed {
  #values = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: SealedSecretStore,
    /** Names aspora.platform.yaml declares `{ sealed: true }`: the only ones that may be set. */
    readonly declared: ReadonlySet<string>,
    private readonly log: Logger,
    private readonly refreshMs = PLATFORM_SEALED_REFRESH_MS,
  ) {}

  async start(): Promise<void> {
    await this.reload();
    if (!this.declared.size) return;
    this.#timer = setInterval(() => {
      this.reload().catch((e: unknown) => this.log.warn({ err: e }, 'platform credentials: reload failed; serving the last ones'));
    }, this.refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  get(name: string): string | undefined {
    return this.#values.get(name);
  }

  private async reload(): Promise<void> {
    if (!this.declared.size) return;
    const next = new Map<string, string>();
    for (const [name, v] of await this.store.all(PLATFORM_VAULT)) {
      if (typeof v === 'string') next.set(name, v);
      else this.log.error({ secret: name, code: v.code }, 'platform credential does not open with the master key');
    }
    this.#values = next;
  }

  private check(name: string): void {
    if (!this.declared.has(name))
      throw new AsporaError('BAD_REQUEST', `${name} is not a sealed platform credential`, {
        hint: `declare it in aspora.platform.yaml as secrets: { ${name}: { sealed: true } } and restart the platform`,
      });
  }

  async set(name: string, value: string, by: string): Promise<SecretEntry> {
    this.check(name);
    const e = await this.store.set(PLATFORM_VAULT, name, value, by);
    await this.reload();
    return e;
  }

  async remove(name: string): Promise<boolean> {
    this.check(name);
    const removed = await this.store.remove(PLATFORM_VAULT, name);
    await this.reload();
    return removed;
  }

  /** Every declared name, and when its value was set (never a value). */
  async list(): Promise<Array<{ name: string; set: boolean; updatedAt: string | null; updatedBy: string | null }>> {
    const stored = new Map((await this.store.names(PLATFORM_VAULT)).map((e) => [e.name, e]));
    return [...this.declared].sort().map((name) => {
      const e = stored.get(name);
      return { name, set: !!e, updatedAt: e?.updatedAt ?? null, updatedBy: e?.updatedBy ?? null };
    });
  }
}
