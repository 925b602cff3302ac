/**
 * Where the vault's master key comes from: ASPORA_MASTER_KEY (base64 or hex; a secret manager
 * puts it in the environment), else a key file in the data directory, generated on first start
 * with mode 0600. ASPORA_MASTER_KEY_PREVIOUS (comma-separated) lists keys being rotated away
 * from: they still unwrap what they wrapped, and wrap nothing new.
 */
import { closeSync, constants, fstatSync, fsyncSync, linkSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AsporaError } from '@aspora/sdk';
import { KeyRing, masterKey, parseMasterKey, type MasterKey } from './envelope.ts';

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
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP')
      throw new AsporaError('CONFIG_INVALID', `${file} is a symbolic link; the master key file must be a regular file`);
    throw new AsporaError('CONFIG_INVALID', `cannot read the master key file ${file} (${code})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new AsporaError('CONFIG_INVALID', `${file} is not a regular file`);
    if (st.mode & 0o077)
      throw new AsporaError(
        'CONFIG_INVALID',
        `the master key file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)})`,
        {
          hint: `chmod 600 ${file}`,
        },
      );
    if (st.size !== 32)
      throw new AsporaError('CONFIG_INVALID', `the master key file ${file} is ${st.size} bytes, not 32`);
    const buf = Buffer.alloc(32);
    if (readSync(fd, buf, 0, 32, 0) !== 32)
      throw new AsporaError('CONFIG_INVALID', `the master key file ${file} could not be read whole`);
    return masterKey(buf);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates the key file with 32 random bytes, mode 0600; undefined when it already exists. The key
 * is written to a file of its own first and then linked into place, so no process ever reads a
 * key file that is still empty.
 */
function createKeyFile(file: string): MasterKey | undefined {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    throw new AsporaError(
      'CONFIG_INVALID',
      `cannot create the master key file ${file} (${(e as NodeJS.ErrnoException).code})`,
      {
        hint: 'make the data directory writable, or set ASPORA_MASTER_KEY',
      },
    );
  }
  try {
    const key = randomBytes(32);
    writeSync(fd, key);
    fsyncSync(fd);
    try {
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw e;
    }
    return masterKey(key);
  } finally {
    closeSync(fd);
    rmSync(tmp, { force: true });
  }
}
