/** Shared by the registry tests: both backends in a throwaway schema, and input fixtures. */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb } from '../db/index.ts';
import type { Db } from '../db/types.ts';
import { migrate } from '../db/migrate.ts';
import type { RegisterVersionInput } from './types.ts';

export const PG_URL = process.env.ASPORA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Harness {
  db: Db;
  /** Opens another connection (pool) to the same database/schema — PGlite returns the same Db. */
  openAnother(): Promise<Db>;
  cleanup(): Promise<void>;
}

export interface Backend {
  name: 'pglite' | 'postgres';
  open(opts?: { migrate?: boolean }): Promise<Harness>;
}

const silentPg = async (fn: (c: pg.Client) => Promise<void>) => {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
  } catch (err) {
    // Tests must fail loudly (never skip) when the PostgreSQL backend can't be reached.
    throw new Error(
      `PostgreSQL is unreachable at ${PG_URL} (${(err as Error).message}). ` +
        'Start it or set ASPORA_TEST_DATABASE_URL — the registry tests run on both PGlite and PostgreSQL.',
    );
  }
  try {
    await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
};

export const BACKENDS: Backend[] = [
  {
    name: 'pglite',
    async open(opts = {}) {
      const db = await openDb();
      if (opts.migrate !== false) await migrate(db);
      return { db, openAnother: async () => db, cleanup: () => db.close() };
    },
  },
  {
    name: 'postgres',
    async open(opts = {}) {
      const schema = `aspora_t_${randomBytes(6).toString('hex')}`;
      await silentPg(async () => {});
      const opened: Db[] = [];
      const openAnother = async () => {
        const db = await openDb({ url: PG_URL, schema, poolSize: 12 });
        opened.push(db);
        return db;
      };
      const db = await openAnother();
      if (opts.migrate !== false) await migrate(db);
      return {
        db,
        openAnother,
        async cleanup() {
          await Promise.all(opened.map((d) => d.close()));
          await silentPg(async (c) => void (await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)));
        },
      };
    },
  },
];

export const digestOf = (seed: string) => `sha256:${createHash('sha256').update(seed).digest('hex')}`;

export interface FixtureOptions {
  role?: string | null;
  version?: string;
  description?: string;
  negative?: string;
  patterns?: string[];
  examples?: string[];
  digestSeed?: string;
  triggers?: RegisterVersionInput['triggers'];
  permissions?: RegisterVersionInput['permissions'];
}

/** A complete, valid RegisterVersionInput for `domain/name`. */
export function skillInput(domain: string, name: string, o: FixtureOptions = {}): RegisterVersionInput {
  const version = o.version ?? '1.0.0';
  const description = o.description ?? `${name.replace(/-/g, ' ')} skill`;
  const patterns = o.patterns ?? [];
  return {
    domain,
    name,
    role: o.role ?? null,
    version,
    description: [description, o.negative].filter(Boolean).join(' '),
    ownerTeam: `${domain}-team`,
    visibility: 'internal',
    costCenter: domain,
    runtime: { language: 'typescript', entryPoint: 'code/handler.ts', timeoutMs: 30_000, memoryMb: 512, cpu: 0.5 },
    model: {
      primary: 'claude-sonnet-4-5',
      fallback: 'gpt-4o-mini',
      temperature: 0.3,
      maxTokens: 4096,
      maxCostPerExecution: 0.1,
      monthlyLimit: 1000,
    },
    config: { skill: { domain, name, version, description } },
    frontmatter: { name, description },
    search: { name, description, negative: o.negative ?? '', patterns, examples: o.examples ?? [] },
    triggers: o.triggers ?? (patterns.length ? [{ type: 'message', patterns }] : []),
    permissions: o.permissions ?? [],
    bundle: { digest: digestOf(o.digestSeed ?? `${domain}/${name}@${version}`), size: 1234, fileCount: 5 },
    actor: 'test',
  };
}

/** Why the PostgreSQL server cannot be used (for tests that skip without it), or false when it answers. */
export async function pgDown(): Promise<string | false> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return false;
  } catch (err) {
    return `PostgreSQL is unreachable at ${PG_URL} (${(err as Error).message}): start it (trust auth, database "test") or set ASPORA_TEST_DATABASE_URL`;
  } finally {
    await c.end().catch(() => {});
  }
}
