import { fileURLToPath } from 'node:url';
import { AsporaError } from './errors.ts';
import { LocalBundleStore } from './local-store.ts';

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
}

/**
 * Opens the store named by `url`: none or `file://<path>` → local disk (`dataDir` when no url);
 * `s3://…` is reserved for the S3-compatible backend, which does not exist yet.
 */
export async function openBundleStore(url: string | undefined, dataDir: string): Promise<BundleStore> {
  if (url === undefined || url.trim() === '') return new LocalBundleStore(dataDir);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new AsporaError('BAD_REQUEST', `bundle store URL ${JSON.stringify(url)} is not a valid URL`, {
      hint: 'use file:///absolute/path, or leave the store URL unset to keep bundles in the data directory',
      cause,
    });
  }
  if (parsed.protocol === 'file:') return new LocalBundleStore(fileURLToPath(parsed));
  if (parsed.protocol === 's3:') {
    throw new AsporaError('UNAVAILABLE', 'the S3 bundle store backend is not built yet', {
      hint: 'use a file:// store URL (or leave it unset) for now; the BundleStore interface is ready for an S3 implementation',
      details: { url },
    });
  }
  throw new AsporaError('BAD_REQUEST', `unsupported bundle store URL scheme ${JSON.stringify(parsed.protocol)}`, {
    hint: 'supported: file:///absolute/path (or unset for the data directory); s3:// is planned',
    details: { url },
  });
}
