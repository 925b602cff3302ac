import { AsporaError, isAsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';
import { deploy, rollback } from './deploy.ts';
import { defaultLogger, type Logger } from './log.ts';
import { pgCode } from '../db/sqlstate.ts';
import { clamp, getSkill, getVersion, listSkills, loadSkill } from './queries.ts';
import { registerVersion, type StoredEmbedding } from './register.ts';
import { type BackfillResult, backfillUntilDone } from './search/backfill.ts';
import { embeddingText, type Embedder } from './search/embedder.ts';
import { hybridSearch } from './search/hybrid.ts';
import type { ExampleWriter } from './search/doc2query.ts';
import {
  listExamples,
  recordRouted,
  replaceGenerated,
  type LearnedExample,
  type RoutedOutcome,
} from './search/learned.ts';
import { lexicalSearch } from './search/lexical.ts';
import { VectorCache } from './search/vectors.ts';
import { checkEnvironment } from './ref.ts';
import type {
  DeployResult,
  EnvironmentName,
  ListSkillsOptions,
  LoadedSkill,
  RegisterResult,
  RegisterVersionInput,
  SearchHit,
  SearchOptions,
  SkillDetail,
  SkillSummary,
  VersionRecord,
} from './types.ts';

export interface SkillRegistryOptions {
  embedder?: Embedder;
  logger?: Logger;
  /** Alias of `logger` (the platform passes its pino logger as `log`). */
  log?: Logger;
}

/** The skill registry: versions, environment pointers with history, listing and discovery. */
export class SkillRegistry {
  readonly #embedder: Embedder | undefined;
  readonly #logger: Logger;
  readonly #cache = new VectorCache();
  readonly #listeners: Array<(ref: string) => void> = [];
  #exampleWriter: ExampleWriter | undefined;

  constructor(
    readonly db: Db,
    opts: SkillRegistryOptions = {},
  ) {
    this.#embedder = opts.embedder;
    this.#logger = opts.logger ?? opts.log ?? defaultLogger();
  }

  async registerVersion(input: RegisterVersionInput): Promise<RegisterResult> {
    // Outside the transaction: a slow embeddings call must not hold the skill's row lock.
    const embedding = await this.#embedVersion(input);
    const result = await dbErrors(() => registerVersion(this.db, input, embedding));
    if (result.roleChange) {
      this.#logger.info({ ref: result.skill.ref, version: input.version, ...result.roleChange }, 'skill role changed');
    }
    if (result.created && this.#exampleWriter) await this.#writeExamples(result.skill.ref, input);
    return result;
  }

  /** doc2query: with a model configured, each new version asks it for example requests (search/doc2query.ts). */
  useExampleWriter(writer: ExampleWriter | undefined): void {
    this.#exampleWriter = writer;
  }

  async #writeExamples(ref: string, input: RegisterVersionInput): Promise<void> {
    try {
      const texts = await this.#exampleWriter!({
        ref,
        domain: input.domain,
        name: input.name,
        description: input.search.description,
        examples: input.search.examples,
      });
      const kept = await replaceGenerated(this.db, ref, texts);
      this.#logger.info({ ref, version: input.version, examples: kept }, 'doc2query examples indexed');
    } catch (err) {
      // Like embeddings: a deploy never depends on the model; the skill keeps its previous examples.
      this.#logger.warn(
        { err: (err as Error).message, ref, version: input.version },
        'doc2query failed; deployed without',
      );
    }
  }

  async deploy(ref: string, env: EnvironmentName, version: string, actor?: string): Promise<DeployResult> {
    return this.#changed(await dbErrors(() => deploy(this.db, ref, env, version, actor)));
  }

  async rollback(
    ref: string,
    env: EnvironmentName,
    opts: { toVersion?: string; actor?: string } = {},
  ): Promise<DeployResult> {
    return this.#changed(await dbErrors(() => rollback(this.db, ref, env, opts)));
  }

  /** Called after an environment of a skill points elsewhere (in this process). */
  onEnvironmentChange(listener: (ref: string) => void): void {
    this.#listeners.push(listener);
  }

  /** Something decided what an environment of `ref` runs (a release started, stepped or ended): tell the listeners. */
  announce(ref: string): void {
    for (const l of this.#listeners) l(ref);
  }

  #changed(r: DeployResult): DeployResult {
    for (const l of this.#listeners) l(r.ref);
    return r;
  }

  listSkills(opts: ListSkillsOptions = {}): Promise<SkillSummary[]> {
    return listSkills(this.db, opts);
  }

  getSkill(ref: string): Promise<SkillDetail> {
    return getSkill(this.db, ref);
  }

  getVersion(ref: string, version: string): Promise<VersionRecord> {
    return getVersion(this.db, ref, version);
  }

  loadSkill(ref: string, opts: { version?: string; environment?: string } = {}): Promise<LoadedSkill> {
    return loadSkill(this.db, ref, opts);
  }

  /**
   * Gives stored versions without a vector of the current embedder one, in the background
   * (search/backfill.ts). A local embedder needs none: it embeds on demand.
   */
  backfillEmbeddings(signal?: AbortSignal, opts: { passes?: number; retryMs?: number } = {}): Promise<BackfillResult> {
    if (!this.#embedder || this.#embedder.local) return Promise.resolve({ embedded: 0, failed: 0 });
    return backfillUntilDone({ db: this.db, embedder: this.#embedder, logger: this.#logger }, signal, opts);
  }

  async searchSkills(query: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    if (opts.environment) checkEnvironment(opts.environment);
    const limit = clamp(opts.limit ?? 10, 1, 100);
    const filter = {
      ...(opts.domain ? { domain: opts.domain } : {}),
      ...(opts.role ? { role: opts.role } : {}),
      ...(opts.environment ? { environment: opts.environment } : {}),
    };
    if (this.#embedder) {
      return hybridSearch(
        { db: this.db, embedder: this.#embedder, cache: this.#cache, logger: this.#logger },
        query,
        filter,
        limit,
      );
    }
    return (await lexicalSearch(this.db, query, filter, limit)).map(({ skill, score, why }) => ({ skill, score, why }));
  }

  /**
   * How a message routed to `skill` turned out: accepted or rated well → a positive example that
   * search learns from; corrected or rated badly → a negative one (search/learned.ts).
   */
  recordRouted(skill: string, text: string, outcome: RoutedOutcome): Promise<boolean> {
    return recordRouted(this.db, skill, text, outcome);
  }

  /** A skill's learned examples, newest first. */
  learnedExamples(skill: string): Promise<LearnedExample[]> {
    return listExamples(this.db, skill);
  }

  async #embedVersion(input: RegisterVersionInput): Promise<StoredEmbedding | null> {
    if (!this.#embedder) return null;
    try {
      const [vector] = await this.#embedder.embed([embeddingText(input.search)]);
      return vector ? { vector, model: this.#embedder.model } : null;
    } catch (err) {
      // Registration must not depend on the embeddings service; the version stays lexical-only.
      this.#logger.warn(
        { err: (err as Error).message, ref: `${input.domain}/${input.name}`, version: input.version },
        'embedding failed; stored without vector',
      );
      return null;
    }
  }
}

/** Constraint violations the validator missed still come back as BAD_REQUEST with a hint. */
async function dbErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isAsporaError(err)) throw err;
    const code = pgCode(err);
    if (code && /^(22|23)/.test(code)) {
      throw new AsporaError('BAD_REQUEST', `rejected by the registry database: ${(err as Error).message}`, {
        hint: 'check the skill config values (aspora validate) and retry',
        cause: err,
      });
    }
    throw err;
  }
}
