import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { parseDigest, sha256Hex } from './digest.ts';
import { AsporaError } from './errors.ts';
import { DEFAULT_BUNDLE_LIMITS, tooLarge } from './limits.ts';
import type { BundleStore, PutResult } from './store.ts';

/** S3's limit for one PutObject; a bundle is bounded far below it (ASPORA_MAX_BUNDLE_BYTES), so no multipart. */
const MAX_SINGLE_PUT = 5 * 1024 ** 3;
/** Checks on a bucket name so that a typo fails at start with a sentence rather than a signature error. */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_SEGMENT_RE = /^[A-Za-z0-9._~!$&'()*+,;=:@-]+$/;

export interface S3StoreOptions {
  /** Environment to read AWS_* from (the platform's, not necessarily process.env). */
  env?: NodeJS.ProcessEnv;
  /** Largest object `get` reads; a stored object over it is refused before it fills memory. */
  maxReadBytes?: number;
  /** Milliseconds of an idle socket (nothing sent or received) before a try is given up: 20 s by default. */
  idleTimeoutMs?: number;
}

export interface S3Location {
  bucket: string;
  /** '' or ending in '/'. */
  prefix: string;
  /** Custom endpoint (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), without credentials; undefined = AWS. */
  endpoint: string | undefined;
  region: string | undefined;
  pathStyle: boolean;
}

function badUrl(url: string, why: string, hint: string): AsporaError {
  return new AsporaError('BAD_REQUEST', `bundle store URL ${JSON.stringify(redactUrl(url))}: ${why}`, {
    hint,
    details: { url: redactUrl(url) },
  });
}

/** Userinfo never reaches a message or a log line: everything up to the last `@` (a secret may hold `/`). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[\s\S]*@/i, '$1***@');
}

function bool(v: string | undefined, name: string, url: string): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw badUrl(
    url,
    `${name} must be true or false, got ${JSON.stringify(v.slice(0, 20))}`,
    `set ${name}=true for servers that need path-style addressing (most S3-compatible servers), false for virtual-hosted style`,
  );
}

/**
 * `s3://bucket[/prefix][?path_style=true|false]` plus the standard AWS variables. Path style: the URL's
 * `path_style` wins, then AWS_S3_FORCE_PATH_STYLE, else on exactly when a custom endpoint is set
 * (S3-compatible servers mostly need it; AWS itself takes virtual-hosted names).
 */
export function parseS3Url(url: string, env: NodeJS.ProcessEnv = process.env): S3Location {
  const u = new URL(url);
  if (u.username || u.password) {
    throw badUrl(
      url,
      'credentials do not belong in the store URL (it is logged)',
      'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or use an AWS profile or role) instead',
    );
  }
  if (u.port)
    throw badUrl(
      url,
      'an s3:// URL names a bucket, not a host',
      'put the server in AWS_ENDPOINT_URL_S3 (e.g. http://127.0.0.1:9000) and the bucket in the URL: s3://my-bucket/prefix',
    );
  const bucket = u.hostname;
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    throw badUrl(
      url,
      `${JSON.stringify(bucket)} is not a valid bucket name`,
      'a bucket name is 3–63 characters: lowercase letters, digits, dots and hyphens, e.g. s3://aspora-bundles/prod',
    );
  }
  // WHATWG parsing already resolved `.`/`..` (also as %2E); what is left is checked after decoding.
  const segments = u.pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  for (const s of segments) {
    if (s === '.' || s === '..' || !PREFIX_SEGMENT_RE.test(s)) {
      throw badUrl(
        url,
        `the prefix segment ${JSON.stringify(s.slice(0, 40))} is not allowed`,
        'use a plain prefix such as s3://bucket/aspora/bundles (letters, digits, . _ - and the like; no .. segments)',
      );
    }
  }
  const prefix = segments.length ? `${segments.join('/')}/` : '';
  if (prefix.length > 512) throw badUrl(url, 'the prefix is over 512 characters', 'use a shorter prefix');
  const params = [...u.searchParams.keys()].filter((k) => k !== 'path_style');
  if (params.length)
    throw badUrl(
      url,
      `unknown parameter ${JSON.stringify(params[0])}`,
      'the only URL parameter is path_style=true|false; endpoint, region and credentials come from the AWS_* variables',
    );

  const rawEndpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  let endpoint: string | undefined;
  if (rawEndpoint) {
    let e: URL;
    try {
      e = new URL(rawEndpoint);
    } catch {
      throw new AsporaError(
        'CONFIG_INVALID',
        `AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL ${JSON.stringify(redactUrl(rawEndpoint))} is not a URL`,
        {
          hint: 'set it to the S3 server, e.g. http://127.0.0.1:9000, or unset it for AWS',
        },
      );
    }
    if (e.protocol !== 'http:' && e.protocol !== 'https:') {
      throw new AsporaError(
        'CONFIG_INVALID',
        `the S3 endpoint must be http:// or https://, got ${JSON.stringify(e.protocol)}`,
        { hint: 'e.g. AWS_ENDPOINT_URL_S3=http://127.0.0.1:9000' },
      );
    }
    e.username = '';
    e.password = '';
    e.search = ''; // nothing of a query (a token?) reaches messages; S3 endpoints take none
    e.hash = '';
    endpoint = e.href.replace(/\/$/, '');
  }
  const pathStyle =
    bool(u.searchParams.get('path_style') ?? undefined, 'path_style', url) ??
    bool(env.AWS_S3_FORCE_PATH_STYLE, 'AWS_S3_FORCE_PATH_STYLE', url) ??
    endpoint !== undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || (endpoint ? 'us-east-1' : undefined);
  return { bucket, prefix, endpoint, region, pathStyle };
}

/**
 * Bundles in an S3-compatible bucket at `<prefix>sha256/<first 2 hex>/<hex>.tar.gz` (the local store's
 * layout, so a bundles folder copied into the bucket is a valid store). The digest is computed here,
 * uploads are signed with it as the payload hash (S3 rejects a body that does not match), identical
 * content is stored once, and every read is re-hashed before it is returned.
 */
export class S3BundleStore implements BundleStore {
  readonly kind = 's3';
  readonly location: S3Location;
  private readonly client: S3Client;
  private readonly maxReadBytes: number;
  /** For messages: where the store is, never with credentials. */
  readonly where: string;

  constructor(url: string, opts: S3StoreOptions = {}) {
    const env = opts.env ?? process.env;
    this.location = parseS3Url(url, env);
    const { bucket, prefix, endpoint, region, pathStyle } = this.location;
    this.where = `s3://${bucket}/${prefix} at ${endpoint ?? `AWS${region ? ` (${region})` : ''}`}`;
    this.maxReadBytes = Math.max(opts.maxReadBytes ?? 0, DEFAULT_BUNDLE_LIMITS.maxCompressedBytes);
    const config: S3ClientConfig = {
      forcePathStyle: pathStyle,
      ...(endpoint ? { endpoint } : {}),
      ...(region ? { region } : {}),
      // Keys from the platform's environment when it has them; otherwise the SDK's chain (profile, SSO, role, IMDS).
      ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? {
            credentials: {
              accessKeyId: env.AWS_ACCESS_KEY_ID,
              secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
              ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
            },
          }
        : {}),
      // Our own sha256 covers integrity end to end; the SDK's default CRC trailers (aws-chunked bodies)
      // are not understood by many S3-compatible servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A dead server fails in seconds, not at the OS's TCP timeout; a stalled one (idle socket) in 20 s a try.
      requestHandler: { connectionTimeout: 5_000, socketTimeout: opts.idleTimeoutMs ?? 20_000 },
      maxAttempts: 3,
    };
    this.client = new S3Client(config);
  }

  keyFor(digest: string): string {
    const { hex } = parseDigest(digest);
    return `${this.location.prefix}sha256/${hex.slice(0, 2)}/${hex}.tar.gz`;
  }

  /**
   * Reachability and permissions at start, with the permissions the store needs anyway (GET of a key
   * that does not exist: NoSuchKey = fine; NoSuchBucket and AccessDenied say what is wrong).
   */
  async check(): Promise<void> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: `${this.location.prefix}sha256/.aspora-probe` }),
      );
      (res.Body as Readable | undefined)?.destroy();
    } catch (e) {
      if (errorName(e) === 'NoSuchKey') return;
      throw this.failure(e, 'check');
    }
  }

  async put(bytes: Buffer): Promise<PutResult> {
    const hex = sha256Hex(bytes);
    const digest = `sha256:${hex}`;
    const size = bytes.length;
    if (size > MAX_SINGLE_PUT) throw tooLarge('maxCompressedBytes', size, MAX_SINGLE_PUT);
    const key = this.keyFor(digest);
    const checksum = Buffer.from(hex, 'hex').toString('base64');
    // HEAD first: a re-deploy costs one small request instead of an upload. A copy whose size or
    // recorded checksum differs was replaced behind our back and is overwritten.
    const head = await this.head(key, 'put');
    if (head && head.size === size && (head.checksum === undefined || head.checksum === checksum))
      return { digest, size, created: false };
    const upload = (conditional: boolean) => {
      const cmd = new PutObjectCommand({
        Bucket: this.location.bucket,
        Key: key,
        Body: bytes,
        ContentLength: size,
        ContentType: 'application/gzip',
        ChecksumSHA256: checksum,
        // Put-if-absent where the server supports it (AWS, MinIO, Ceph): of two racing puts one creates.
        ...(conditional ? { IfNoneMatch: '*' } : {}),
      });
      // The digest is the body's sha256: SigV4 signs it as the payload hash, so no second pass over the
      // bytes, and the server refuses a body that arrives different (XAmzContentSHA256Mismatch).
      cmd.middlewareStack.add(
        (next) => async (args) => {
          (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = hex;
          return next(args);
        },
        { step: 'build', name: 'asporaPayloadHash' },
      );
      return this.client.send(cmd);
    };
    try {
      await upload(head === null);
      return { digest, size, created: true };
    } catch (e) {
      const status = httpStatus(e);
      if (status === 412) return { digest, size, created: false };
      // A server that does not implement conditional writes: content addressing makes the plain PUT safe.
      if (status === 501 && head === null) {
        try {
          await upload(false);
          return { digest, size, created: true };
        } catch (e2) {
          throw this.failure(e2, 'put', digest);
        }
      }
      // 409: a concurrent conditional write of the same key is in flight; if it landed, ours is a duplicate.
      if (status === 409 && (await this.head(key, 'put'))?.size === size) return { digest, size, created: false };
      throw this.failure(e, 'put', digest);
    }
  }

  async get(digest: string): Promise<Buffer> {
    const key = this.keyFor(digest);
    let body: Readable;
    let length: number | undefined;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
      body = res.Body as Readable;
      length = res.ContentLength;
    } catch (e) {
      if (errorName(e) === 'NoSuchKey') throw notFound(digest);
      throw this.failure(e, 'get', digest);
    }
    const tooBig = (n: number) =>
      new AsporaError(
        'BUNDLE_CORRUPT',
        `stored bundle ${digest} is ${n} bytes, over the ${this.maxReadBytes}-byte read limit: not read`,
        {
          hint: `the object ${key} in ${this.where} was replaced or damaged; re-upload the bundle (aspora deploy) or raise ASPORA_MAX_BUNDLE_BYTES if it was stored under a higher limit`,
          details: { digest, size: n },
        },
      );
    if (length !== undefined && length > this.maxReadBytes) {
      body.destroy();
      throw tooBig(length);
    }
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > this.maxReadBytes) {
          body.destroy();
          throw tooBig(total);
        }
        hash.update(chunk);
        chunks.push(chunk);
      }
    } catch (e) {
      if (e instanceof AsporaError) throw e;
      throw this.failure(e, 'get', digest);
    }
    const actual = hash.digest('hex');
    // Never serve bytes that do not match their name.
    if (`sha256:${actual}` !== digest) {
      throw new AsporaError(
        'BUNDLE_CORRUPT',
        `stored bundle ${digest} does not match its digest (found sha256:${actual})`,
        {
          hint: `the object ${key} in ${this.where} was modified or damaged; delete it and re-upload the bundle (aspora deploy)`,
          details: { digest, actual: `sha256:${actual}` },
        },
      );
    }
    return Buffer.concat(chunks, total);
  }

  async has(digest: string): Promise<boolean> {
    return (await this.stat(digest)) !== null;
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    const head = await this.head(this.keyFor(digest), 'stat', digest);
    return head ? { size: head.size } : null;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async head(
    key: string,
    op: string,
    digest?: string,
  ): Promise<{ size: number; checksum: string | undefined } | null> {
    try {
      const res = await this.client.send(
        new HeadObjectCommand({ Bucket: this.location.bucket, Key: key, ChecksumMode: 'ENABLED' }),
      );
      return { size: res.ContentLength ?? 0, checksum: res.ChecksumSHA256 || undefined };
    } catch (e) {
      // A HEAD has no body: NotFound for a missing key (a missing bucket shows up at start and on put).
      if (httpStatus(e) === 404) return null;
      throw this.failure(e, op, digest);
    }
  }

  /** Any failure of the server or the way to it: UNAVAILABLE naming the store and what to check, no stack. */
  private failure(e: unknown, op: string, digest?: string): AsporaError {
    const name = errorName(e);
    const status = httpStatus(e);
    const netCode = (e as { code?: unknown })?.code;
    const details = {
      store: this.where,
      operation: op,
      ...(digest ? { digest } : {}),
      ...(status ? { status } : {}),
      ...(name && name !== 'Error' ? { error: name } : {}),
    };
    const what = op === 'check' ? 'bundle store' : `bundle store (${op}${digest ? ` ${digest.slice(0, 19)}…` : ''})`;
    // Configuration the SDK found missing before any request was sent.
    const message = (e as Error)?.message ?? '';
    if (status === undefined && /region is missing|region not accepted/i.test(message)) {
      return new AsporaError('CONFIG_INVALID', `${what} ${this.where}: no AWS region is set`, {
        hint: "set AWS_REGION (e.g. AWS_REGION=eu-west-1) to the bucket's region",
        details,
        cause: e,
      });
    }
    if (status === undefined && /could not load credentials/i.test(message)) {
      return new AsporaError('CONFIG_INVALID', `${what} ${this.where}: no AWS credentials were found`, {
        hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with a role (instance profile, web identity)',
        details,
        cause: e,
      });
    }
    if (status === undefined || status === 0) {
      const why =
        typeof netCode === 'string'
          ? netCode
          : name === 'TimeoutError'
            ? 'timed out'
            : (e as Error)?.message?.slice(0, 120) || 'no answer';
      return new AsporaError('UNAVAILABLE', `${what} ${this.where} is unreachable (${why})`, {
        hint: `check that the S3 server is running and that AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and AWS_REGION point at it${op === 'put' ? '; nothing was registered, deploy again once it answers' : ''}`,
        details,
        cause: e,
      });
    }
    if (name === 'NoSuchBucket') {
      return new AsporaError(
        'UNAVAILABLE',
        `${what}: bucket ${JSON.stringify(this.location.bucket)} does not exist at ${this.location.endpoint ?? 'AWS'}`,
        {
          hint: `create the bucket (e.g. aws s3 mb s3://${this.location.bucket}) or fix ASPORA_STORE_URL`,
          details,
          cause: e,
        },
      );
    }
    if (status === 403 || status === 401 || /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch/.test(name ?? '')) {
      return new AsporaError(
        'UNAVAILABLE',
        `${what} ${this.where} refused access (${status} ${name ?? ''})`.trimEnd(),
        {
          hint: 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the role): the store needs s3:GetObject, s3:PutObject and s3:ListBucket (without it, a missing bundle answers 403 instead of 404)',
          details,
          cause: e,
        },
      );
    }
    if (status === 301 || status === 307 || name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed') {
      return new AsporaError(
        'UNAVAILABLE',
        `${what} ${this.where}: the bucket is in another region (${status} ${name ?? ''})`,
        {
          hint: "set AWS_REGION to the bucket's region",
          details,
          cause: e,
        },
      );
    }
    return new AsporaError('UNAVAILABLE', `${what} ${this.where} answered ${status}${name ? ` ${name}` : ''}`, {
      hint: `${status >= 500 ? 'the S3 server failed; try again, and check its health if it persists' : "check the S3 server's logs and the store configuration (ASPORA_STORE_URL, AWS_*)"}${op === 'put' ? '; nothing was registered' : ''}`,
      details,
      cause: e,
    });
  }
}

function notFound(digest: string): AsporaError {
  return new AsporaError('BUNDLE_NOT_FOUND', `no bundle with digest ${digest}`, {
    hint: 'upload the bundle first (aspora deploy), or check the digest',
    details: { digest },
  });
}

function errorName(e: unknown): string | undefined {
  if (e instanceof S3ServiceException) return e.name;
  const n = (e as { name?: unknown })?.name;
  return typeof n === 'string' ? n : undefined;
}

/** The server's answer; undefined when there was none (refused, reset, timed out). */
function httpStatus(e: unknown): number | undefined {
  const s = (e as { $metadata?: { httpStatusCode?: unknown }; $response?: { statusCode?: unknown } })?.$metadata
    ?.httpStatusCode;
  return typeof s === 'number' ? s : undefined;
}
