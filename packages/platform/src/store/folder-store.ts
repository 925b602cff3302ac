import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDigest, sha256Digest, sha256Hex } from './digest.ts';
import { AsporaError } from './errors.ts';
import type { BundleStore, PutResult } from './store.ts';

const TMP_PREFIX = '.tmp-';

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Bundles on local disk at `<root>/sha256/<first 2 hex>/<hex>.tar.gz`. */
export class LocalBundleStore implements BundleStore {
  readonly kind = 'local';

  constructor(readonly rootDir: string) {}

  /** Absolute file path for a digest (validates the digest form). */
  pathFor(digest: string): string {
    const { hex } = parseDigest(digest);
    return join(this.rootDir, 'sha256', hex.slice(0, 2), `${hex}.tar.gz`);
  }

  async put(bytes: Buffer): Promise<PutResult> {
    const digest = sha256Digest(bytes);
    const final = this.pathFor(digest);
    const size = bytes.length;
    // Compare with what is there rather than trusting the name: a damaged copy gets repaired by the re-upload.
    const current = await readFile(final).catch((e: unknown) => {
      if (errno(e) === 'ENOENT') return null;
      throw e;
    });
    if (current?.equals(bytes)) return { digest, size, created: false };

    const dir = join(final, '..');
    await mkdir(dir, { recursive: true });
    // Temp file in the same folder so rename/link stay on one filesystem (atomic); unique per call so
    // concurrent puts never write into each other's file.
    const tmp = join(dir, `${TMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      const fh = await open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(bytes);
        await fh.sync(); // data durable before it becomes visible under the final name
      } finally {
        await fh.close();
      }
      const created = await this.publish(tmp, final, current !== null);
      await syncDir(dir);
      return { digest, size, created };
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /**
   * link() is put-if-absent: exactly one of several concurrent puts sees created:true. A present but
   * damaged file is replaced by an atomic rename over it.
   */
  private async publish(tmp: string, final: string, replace: boolean): Promise<boolean> {
    if (!replace) {
      try {
        await link(tmp, final);
        return true;
      } catch (e) {
        if (errno(e) === 'EEXIST') return false;
        // Filesystems without hard links: fall back to rename (still atomic, just not exclusive).
        if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'].includes(errno(e) ?? '')) throw e;
      }
    }
    await rename(tmp, final);
    return true;
  }

  async get(digest: string): Promise<Buffer> {
    const file = this.pathFor(digest);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (e) {
      if (errno(e) === 'ENOENT') {
        throw new AsporaError('BUNDLE_NOT_FOUND', `no bundle with digest ${digest}`, {
          hint: 'upload the bundle first (aspora deploy), or check the digest',
          details: { digest },
        });
      }
      throw e;
    }
    // Never serve bytes that do not match their name: disk corruption or tampering must be loud.
    const actual = sha256Hex(bytes);
    if (`sha256:${actual}` !== digest) {
      throw new AsporaError(
        'BUNDLE_CORRUPT',
        `stored bundle ${digest} does not match its digest (found sha256:${actual})`,
        {
          hint: `the file ${file} was modified or damaged; re-upload the bundle (aspora deploy) to restore it`,
          details: { digest, actual: `sha256:${actual}` },
        },
      );
    }
    return bytes;
  }

  async has(digest: string): Promise<boolean> {
    return (await this.stat(digest)) !== null;
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    try {
      const s = await stat(this.pathFor(digest));
      return s.isFile() ? { size: s.size } : null;
    } catch (e) {
      if (errno(e) === 'ENOENT') return null;
      throw e;
    }
  }
}

/** Makes the new directory entry durable; not supported everywhere (e.g. Windows), where it is best effort. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // best effort
  } finally {
    await fh?.close();
  }
}
