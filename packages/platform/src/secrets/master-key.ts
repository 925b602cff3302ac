/**
 * Where the vault's master key comes from: ASPORA_MASTER_KEY (base64 or hex; a secret manager
 * puts it in the environment), else a key file in the data directory, generated on first start
 * with mode 0600. ASPORA_MASTER_KEY_PREVIOUS (comma-separated) lists keys being rotated away
 * from: they still unwrap what they wrapped, and wrap nothing new.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AsporaError } from '@aspora/sdk';
import { KeyRing, masterKey, parseMasterKey, type MasterKey } from './envelope.ts';
import { readSecretFile, writeSecretFile } from './secret-file.ts';

export const MASTER_KEY_FILE = 'master.key';

export interface MasterKeySource {
  ring: KeyRing;
  /** Where the current key came from, for the start banner (never the key). */
  from: 'env' | 'file' | 'generated';
  file?: string;
}

export function loadKeyRing(env: NodeJS.ProcessEnv, dataDir: string): MasterKeySource {
  const previous = (env.ASPORA_MASTER_KEY_PREVIOUS ?? '')
    .split(',')
    .filter((s) => s.trim())
    .map(parseMasterKey);
  if (env.ASPORA_MASTER_KEY) return { ring: new KeyRing(parseMasterKey(env.ASPORA_MASTER_KEY), previous), from: 'env' };
  const file = join(dataDir, MASTER_KEY_FILE);
  const existing = readKeyFile(file);
  if (existing) return { ring: new KeyRing(existing, previous), from: 'file', file };
  const created = createKeyFile(file);
  // Another process may have created it between the read and the create: its key wins.
  return { ring: new KeyRing(created ?? readKeyFile(file)!, previous), from: created ? 'generated' : 'file', file };
}

/** The key in `file`, or undefined when there is none. A link, a non-file or a readable-by-others file is refused. */
function readKeyFile(file: string): MasterKey | undefined {
  const r = readSecretFile(file, 4096);
  if ('data' in r) {
    if (r.data.length !== 32)
      throw new AsporaError('CONFIG_INVALID', `the master key file ${file} is ${r.data.length} bytes, not 32`);
    return masterKey(Buffer.from(r.data));
  }
  switch (r.problem) {
    case 'missing':
      return undefined;
    case 'link':
      throw new AsporaError('CONFIG_INVALID', `${file} is a symbolic link; the master key file must be a regular file`);
    case 'not-file':
      throw new AsporaError('CONFIG_INVALID', `${file} is not a regular file`);
    case 'open-to-others':
      throw new AsporaError(
        'CONFIG_INVALID',
        `the master key file ${file} is readable by others (mode ${r.mode.toString(8)})`,
        { hint: `chmod 600 ${file}` },
      );
    case 'size':
      throw new AsporaError('CONFIG_INVALID', `the master key file ${file} is ${r.size} bytes, not 32`);
    case 'unreadable':
      throw new AsporaError('CONFIG_INVALID', `cannot read the master key file ${file} (${r.code})`);
  }
}

/**
 * Creates the key file with 32 random bytes, mode 0600; undefined when it already exists. The key
 * is written to a file of its own first and then linked into place, so no process ever reads a
 * key file that is still empty.
 */
function createKeyFile(file: string): MasterKey | undefined {
  const key = randomBytes(32);
  try {
    return writeSecretFile(file, key) ? masterKey(key) : undefined;
  } catch (e) {
    throw new AsporaError(
      'CONFIG_INVALID',
      `cannot create the master key file ${file} (${(e as NodeJS.ErrnoException).code})`,
      { hint: 'make the data directory writable, or set ASPORA_MASTER_KEY' },
    );
  }
}
