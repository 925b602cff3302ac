/**
 * The CLI's saved tokens: one per platform URL, in $ASPORA_CONFIG_DIR/credentials.json (default
 * $XDG_CONFIG_HOME/aspora, else ~/.config/aspora). The file holds bearer tokens, so it is written
 * 0600 in a 0700 folder, atomically (a crash leaves the old file or the new one, never half of
 * one), and read only when it is a regular file of this user that no one else may open: a link is
 * never followed (it could point the CLI at a file someone else controls).
 */
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { AsporaError } from '@aspora/sdk';

type Env = Record<string, string | undefined>;

export interface SavedToken {
  token: string;
  savedAt: string;
}

export interface Credentials {
  version: 1;
  /** By platform key (platformKey): scheme, host, port and path, no trailing slash. */
  platforms: Record<string, SavedToken>;
}

/** Far above any real file (a token is at most MAX_TOKEN_CHARS): a bigger one is not ours. */
const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_TOKEN_CHARS = 4096;

export function configDir(env: Env = process.env): string {
  if (env.ASPORA_CONFIG_DIR) return env.ASPORA_CONFIG_DIR;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and is to be ignored.
  const xdg = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  return join(xdg ?? join(env.HOME || homedir(), '.config'), 'aspora');
}

export function credentialsPath(env: Env = process.env): string {
  return join(configDir(env), 'credentials.json');
}

/**
 * The key a platform's token is saved under: http://127.0.0.1:4000/, HTTP://127.0.0.1:4000 and
 * http://127.0.0.1:4000/// are one platform; a default port is dropped (https://x:443 is https://x);
 * user info, query and fragment are not part of it. A path stays (a platform behind a prefix).
 */
export function platformKey(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AsporaError('BAD_REQUEST', `the platform URL "${url}" is not a URL`, {
      hint: 'e.g. --url http://127.0.0.1:4000 (or ASPORA_URL)',
    });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new AsporaError('BAD_REQUEST', `the platform URL "${url}" is not http or https`, {
      hint: 'e.g. --url https://aspora.example.com',
    });
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** A token as it can go into an Authorization header; the error never repeats it. */
export function checkToken(token: string): string {
  const t = token.trim();
  if (!t) throw new AsporaError('BAD_REQUEST', 'the token is empty', { hint: 'pass --token, or paste it when asked' });
  if (t.length > MAX_TOKEN_CHARS)
    throw new AsporaError('BAD_REQUEST', `the token is longer than ${MAX_TOKEN_CHARS} characters`, {
      hint: 'is it the token `aspora tokens create` printed?',
    });
  if (!/^[\x21-\x7e]+$/.test(t))
    throw new AsporaError('BAD_REQUEST', 'the token has spaces or characters other than printable ASCII', {
      hint: 'is it the token `aspora tokens create` printed?',
    });
  return t;
}

/** The saved tokens; none when there is no file. Throws (saying how to fix it) for a file it must not trust. */
export function readCredentials(env: Env = process.env): Credentials {
  const path = credentialsPath(env);
  const text = readOwnFile(path);
  if (text === undefined) return { version: 1, platforms: {} };
  const broken = (why: string) =>
    new AsporaError('CONFIG_INVALID', `the credentials file ${path} ${why}`, {
      hint: `remove it (rm ${path}) and run \`aspora login\` again`,
    });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw broken('is not valid JSON');
  }
  const platforms = (data as { platforms?: unknown })?.platforms;
  if (typeof platforms !== 'object' || platforms === null || Array.isArray(platforms))
    throw broken('has no "platforms" object');
  const out: Credentials = { version: 1, platforms: {} };
  for (const [key, v] of Object.entries(platforms)) {
    const e = v as Partial<SavedToken> | null;
    if (typeof e?.token !== 'string') throw broken(`has an entry for ${key} without a token`);
    out.platforms[key] = { token: e.token, savedAt: typeof e.savedAt === 'string' ? e.savedAt : '' };
  }
  return out;
}

/** The token saved for this platform URL, if any. */
export function savedToken(url: string, env: Env = process.env): string | undefined {
  return readCredentials(env).platforms[platformKey(url)]?.token;
}

/** Saves (or replaces) the token for this platform URL; returns the file's path. `aspora login` and `aspora up` call it. */
export function saveCredentials(url: string, token: string, env: Env = process.env): string {
  const key = platformKey(url);
  const creds = readCredentials(env);
  creds.platforms[key] = { token: checkToken(token), savedAt: new Date().toISOString() };
  return writeCredentials(creds, env);
}

/** Removes the token saved for this platform URL; false when there was none. */
export function removeCredentials(url: string, env: Env = process.env): boolean {
  const key = platformKey(url);
  const creds = readCredentials(env);
  if (!creds.platforms[key]) return false;
  delete creds.platforms[key];
  writeCredentials(creds, env);
  return true;
}

/**
 * Temp file (created exclusively, 0600, so it cannot be a planted link) in the same folder, synced,
 * then renamed over the old one: rename replaces a link rather than writing through it.
 */
function writeCredentials(creds: Credentials, env: Env): string {
  const dir = configDir(env);
  const path = credentialsPath(env);
  // Only folders created here get 0700: an existing one (a shared ASPORA_CONFIG_DIR) is left as its owner set it.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.credentials.json.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${JSON.stringify(creds, null, 2)}\n`);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    rmSync(tmp, { force: true });
    throw e;
  }
  return path;
}

/** The file's text, or undefined when it does not exist; refuses a link, another user's file, or one others may open. */
function readOwnFile(path: string): string | undefined {
  let fd: number;
  try {
    // O_NOFOLLOW: the check and the read are of the same file, with no window to swap in a link.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP')
      throw new AsporaError(
        'CONFIG_INVALID',
        `the credentials file ${path} is a symbolic link, which is not followed`,
        {
          hint: `replace the link with the file itself, or remove it (rm ${path}) and run \`aspora login\` again`,
        },
      );
    throw new AsporaError('CONFIG_INVALID', `cannot read the credentials file ${path} (${code ?? String(e)})`, {
      hint: 'set ASPORA_CONFIG_DIR to a folder of your own',
    });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new AsporaError('CONFIG_INVALID', `the credentials file ${path} is not a regular file`, {
        hint: `remove it and run \`aspora login\` again`,
      });
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid)
      throw new AsporaError('CONFIG_INVALID', `the credentials file ${path} belongs to another user (uid ${st.uid})`, {
        hint: `remove it (rm ${path}) and run \`aspora login\` again; a token in it may have been planted`,
      });
    if (st.mode & 0o077)
      throw new AsporaError(
        'CONFIG_INVALID',
        `the credentials file ${path} is open to other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): its tokens may have been read`,
        {
          hint: `chmod 600 ${path}; if others could read it, revoke its tokens (aspora tokens revoke) and log in again`,
        },
      );
    if (st.size > MAX_FILE_BYTES)
      throw new AsporaError('CONFIG_INVALID', `the credentials file ${path} is larger than ${MAX_FILE_BYTES} bytes`, {
        hint: `remove it (rm ${path}) and run \`aspora login\` again`,
      });
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < st.size) {
      const r = readSync(fd, buf, n, st.size - n, n);
      if (r === 0) break;
      n += r;
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
