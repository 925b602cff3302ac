import { fileURLToPath } from 'node:url';
import { AsporaError } from './errors.ts';
import { LocalBundleStore } from './folder-store.ts';
import { redactUrl, S3BundleStore } from './s3-store.ts';

export interface PutResult {
  digest: string;
  size: number;
  /** false when identical content was already stored (content addressing makes puts idempotent). */
  created: boolean;
}

/**
 * Content-addressed blob storage for bundles. The digest is computed by the store from the bytes, never
 * taken from the caller. Shaped so an S3-compatible backend fits: key `sha256/<2 hex>/<hex>`,
 * put = put-if-absent (`If-None-Match: *`), get = GET + verify, has/stat = HEAD.
 */
export interface BundleStore {
  readonly kind: string;
  put(bytes: Buffer): Promise<PutResult>;
  /** Throws BUNDLE_NOT_FOUND if absent, BUNDLE_CORRUPT if the stored bytes no longer match the digest. */
  get(digest: string): Promise<Buffer>;
  has(digest: string): Promise<boolean>;
  stat(digest: string): Promise<{ size: number } | null>;
  /** Releases connections (the S3 client's sockets); the local store holds none. */
  close?(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Where AWS_* is read for s3:// (the platform's environment). */
  env?: NodeJS.ProcessEnv;
  /** The bundle size limit: reads of a larger object are refused before they fill memory. */
  maxBundleBytes?: number;
}

/**
 * Opens the store named by `url`: none or `file://<path>` → local disk (`dataDir` when no url);
 * `s3://bucket/prefix` → an S3-compatible bucket, checked for reachability and access before it is returned.
 */
export async function openBundleStore(
  url: string | undefined,
  dataDir: string,
  opts: OpenStoreOptions = {},
): Promise<BundleStore> {
  if (url === undefined || url.trim() === '') return new LocalBundleStore(dataDir);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new AsporaError('BAD_REQUEST', `bundle store URL ${JSON.stringify(redactUrl(url))} is not a valid URL`, {
      hint: 'use file:///absolute/path or s3://bucket/prefix, or leave the store URL unset to keep bundles in the data directory',
      cause,
    });
  }
  if (parsed.protocol === 'file:') return new LocalBundleStore(fileURLToPath(parsed));
  if (parsed.protocol === 's3:') {
    const store = new S3BundleStore(url, {
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.maxBundleBytes ? { maxReadBytes: opts.maxBundleBytes } : {}),
    });
    try {
      await store.check();
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }
  throw new AsporaError('BAD_REQUEST', `unsupported bundle store URL scheme ${JSON.stringify(parsed.protocol)}`, {
    hint: 'supported: file:///absolute/path (or unset for the data directory) and s3://bucket/prefix',
    details: { url: redactUrl(url) },
  });
}
