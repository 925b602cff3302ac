/**
 * The first admin. On a database with no users the platform creates one (ASPORA_ADMIN_EMAIL, or
 * admin@localhost) with a token that never expires, and writes the token to a 0600 file in the
 * data directory for the operator and `aspora up` (which logs the local CLI in with it). An
 * operator may bring the token instead (ASPORA_ADMIN_TOKEN): it is registered, hashed, for that admin.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SCOPES } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';
import { readSecretFile, writeSecretFile } from '../secrets/secret-file.ts';
import type { TokenStore } from './token-store.ts';
import { hashToken, mintToken } from './tokens.ts';

export const ADMIN_TOKEN_FILE = 'admin.token';

export interface BootstrapResult {
  /** The admin's email when this start created the admin. */
  createdAdmin?: string;
  /** Where the first admin's token is kept (absent when the operator brought ASPORA_ADMIN_TOKEN). */
  tokenFile?: string;
}

export async function bootstrapAccess(
  db: Db,
  tokens: TokenStore,
  opts: { dataDir: string; adminToken?: string | undefined; adminEmail?: string | undefined },
): Promise<BootstrapResult> {
  const email = opts.adminEmail ?? 'admin@localhost';
  if (opts.adminToken !== undefined && opts.adminToken.length < 20)
    throw new AsporaError('CONFIG_INVALID', 'ASPORA_ADMIN_TOKEN is too short to be a token (20 characters at least)', {
      hint: 'unset it and let the platform create one, or use e.g. `openssl rand -base64 32`',
    });
  // One process at a time: two processes starting on one empty database make one admin, one token.
  return db.transaction(async (tx) => {
    if (tx.dialect === 'postgres') await tx.query("SELECT pg_advisory_xact_lock(hashtext('aspora.access.bootstrap'))");
    const [{ n }] = (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM users')) as [{ n: number }];
    const file = join(opts.dataDir, ADMIN_TOKEN_FILE);
    if (opts.adminToken === undefined && Number(n) > 0) return existsFile(file) ? { tokenFile: file } : {};
    const findAdmin = async () =>
      (await tx.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]))[0]?.id;
    let userId = await findAdmin();
    const created = !userId;
    if (!userId) {
      await tx.query('INSERT INTO users (id, email, name, admin) VALUES ($1, $2, $3, true)', [
        randomUUID(),
        email,
        'Administrator',
      ]);
      userId = (await findAdmin())!;
    }
    const brought = opts.adminToken !== undefined;
    const token = opts.adminToken ?? mintToken();
    const [have] = brought ? await tx.query('SELECT 1 FROM api_tokens WHERE hash = $1', [hashToken(token)]) : [];
    if (!have)
      await tokens.insert({
        token,
        name: brought ? 'ASPORA_ADMIN_TOKEN' : 'first admin',
        userId,
        team: null,
        scopes: [...SCOPES],
        createdBy: 'platform',
        expiresAt: null,
        db: tx,
      });
    if (brought) return created ? { createdAdmin: email } : {};
    writeSecretFile(file, `${token}\n`, { replace: true });
    return { createdAdmin: email, tokenFile: file };
  });
}

/** The first admin's token from the data directory, when this platform made one (for `aspora up`). */
export function readAdminToken(dataDir: string): string | undefined {
  const r = readSecretFile(join(dataDir, ADMIN_TOKEN_FILE), 4096);
  return ('data' in r && r.data.toString('utf8').trim()) || undefined;
}

/** The token file is there to be read (a regular file of ours, not a link). */
const existsFile = (file: string) => 'data' in readSecretFile(file, 4096);
