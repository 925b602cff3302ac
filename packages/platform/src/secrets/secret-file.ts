/**
 * Files that hold a secret (the master key, the first admin's token): written with mode 0600 to a
 * file of their own and linked into place, so nobody reads one half-written or through a link;
 * read without following a link, refused when others may read them, and bounded in size.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, linkSync, openSync, readSync, rmSync, writeSync } from 'node:fs';

/** Writes `data`; false when the file exists and `replace` is not set (another process was first). */
export function writeSecretFile(file: string, data: Buffer | string, opts: { replace?: boolean } = {}): boolean {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
    if (opts.replace) rmSync(file, { force: true });
    try {
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && !opts.replace) return false;
      throw e;
    }
    return true;
  } finally {
    closeSync(fd);
    rmSync(tmp, { force: true });
  }
}

export type SecretFileRead =
  | { data: Buffer }
  | { problem: 'missing' | 'link' | 'not-file' }
  | { problem: 'unreadable'; code: string }
  | { problem: 'open-to-others'; mode: number }
  | { problem: 'size'; size: number };

/** The file's bytes, or why not: a link, not a regular file, readable by others, larger than maxBytes. */
export function readSecretFile(file: string, maxBytes: number): SecretFileRead {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
    if (code === 'ENOENT') return { problem: 'missing' };
    if (code === 'ELOOP') return { problem: 'link' };
    return { problem: 'unreadable', code };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: 'not-file' };
    if (st.mode & 0o077) return { problem: 'open-to-others', mode: st.mode & 0o777 };
    if (st.size > maxBytes) return { problem: 'size', size: st.size };
    const buf = Buffer.alloc(st.size);
    const n = st.size ? readSync(fd, buf, 0, st.size, 0) : 0;
    return { data: buf.subarray(0, n) };
  } finally {
    closeSync(fd);
  }
}
