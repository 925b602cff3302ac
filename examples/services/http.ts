/** HTTP plumbing shared by the stand-ins: errors, JSON in and out, path templates, credentials. */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Args, Credential } from './types.ts';

const MAX_BODY_BYTES = 1024 * 1024;

/** An error answer: `{ error: { code, message } }` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}

/** A success answer other than 200 (e.g. 201 for a created resource). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export const created = (body: unknown): Reply => new Reply(201, body);
export const notFound = (what: string): HttpError => new HttpError(404, 'not_found', `${what} does not exist`);
export const badRequest = (message: string): HttpError => new HttpError(400, 'bad_request', message);

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(data),
  });
  res.end(data);
}

/** The JSON object a POST/PUT/PATCH carries; an empty body is `{}` (a call without arguments). */
export function readJsonObject(req: IncomingMessage): Promise<Args> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (size > MAX_BODY_BYTES)
        return reject(new HttpError(413, 'payload_too_large', `the request body is over ${MAX_BODY_BYTES} bytes`));
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (!text) return resolve({});
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return reject(badRequest('the request body is not valid JSON'));
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return reject(badRequest('the request body must be a JSON object'));
      resolve(value as Args);
    });
  });
}

/**
 * Query parameters back into args. The platform sends strings as they are and JSON-encodes
 * everything else, so a value that parses as JSON (other than a string) is taken as that value.
 */
export function decodeQuery(params: URLSearchParams): Args {
  const out: Args = {};
  for (const [k, raw] of params) {
    let v: unknown = raw;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'string') v = parsed;
    } catch {
      /* a plain string */
    }
    out[k] = v;
  }
  return out;
}

export interface PathMatcher {
  match(path: string): Args | undefined;
}

/** `/transactions/{transactionId}/score` → a matcher yielding `{ transactionId }`. */
export function compilePath(template: string): PathMatcher {
  const names: string[] = [];
  const source = template
    .split(/(\{[A-Za-z_][A-Za-z0-9_]*\})/)
    .map((part) => {
      const param = /^\{(.+)\}$/.exec(part)?.[1];
      if (param) {
        names.push(param);
        return '([^/]+)';
      }
      return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    })
    .join('');
  const re = new RegExp(`^${source}$`);
  return {
    match(path) {
      const m = re.exec(path);
      if (!m) return undefined;
      const params: Args = {};
      for (const [i, n] of names.entries()) params[n] = decodeURIComponent(m[i + 1]!);
      return params;
    },
  };
}

/** Whether the request carries the credential (compared in constant time). */
export function authorized(headers: IncomingHttpHeaders, credential: Credential): boolean {
  const header = (name: string) => {
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  switch (credential.type) {
    case 'bearer':
      return same(header('authorization'), `Bearer ${credential.token}`);
    case 'basic':
      return same(
        header('authorization'),
        `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`,
      );
    case 'header':
      return same(header(credential.name), credential.value);
  }
}

export function unauthorized(api: string, credential: Credential): HttpError {
  const expected =
    credential.type === 'header'
      ? `the ${credential.name} header`
      : `an Authorization: ${credential.type === 'bearer' ? 'Bearer' : 'Basic'} credential`;
  const challenge: OutgoingHttpHeaders =
    credential.type === 'bearer'
      ? { 'www-authenticate': `Bearer realm="${api}"` }
      : credential.type === 'basic'
        ? { 'www-authenticate': `Basic realm="${api}"` }
        : {};
  return new HttpError(
    401,
    'unauthorized',
    `${api} expects ${expected} (see examples/aspora.platform.yaml)`,
    challenge,
  );
}

function same(got: string | undefined, want: string): boolean {
  if (got === undefined) return false;
  const a = Buffer.from(got);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}
