/** Access control of one platform: the directory of people, tokens, and the authenticator. */
import type { Db } from '../db/types.ts';
import type { Logger } from '../observe/logger.ts';
import { Authenticator } from './authenticator.ts';
import { Directory } from './directory.ts';
import { TokenStore } from './token-store.ts';

export class AccessControl {
  readonly directory: Directory;
  readonly tokens: TokenStore;
  readonly auth: Authenticator;

  constructor(db: Db, log: Logger, opts: { pollMs?: number } = {}) {
    this.directory = new Directory(db);
    this.tokens = new TokenStore(db, this.directory);
    this.auth = new Authenticator(db, this.tokens, log, opts.pollMs);
  }
}

export { bootstrapAccess, readAdminToken, ADMIN_TOKEN_FILE, type BootstrapResult } from './bootstrap.ts';
export * from './principal.ts';
