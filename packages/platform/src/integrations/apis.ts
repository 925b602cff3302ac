/**
 * context.apis.<api>.<method>(args): the APIs a platform declares in aspora.platform.yaml, called
 * by the host on a skill's behalf. The guard has already checked permissions.apis; here the method
 * must exist, a read_only API must be sent a read (read-only.ts), so must any API a shadow run
 * calls unless it is shadow_safe (releases/targets.ts), the rate limits (per skill per
 * hour, per domain per day) must allow the call, and
 * the credentials come from the vault — a handler never sees them, not even echoed back in an
 * API's answer (scrubbed from it).
 */
import { AsporaError } from '@aspora/sdk';
import { Redactor, type SecretValue } from '../secrets/redactor.ts';
import type { SecretVault } from '../secrets/secrets.ts';
import type { ApiDefinition } from '../config/platform-file.ts';
import { DAY_MS, HOUR_MS, type RateLimiter } from '../rate-limits/rate-limiter.ts';
import { httpRequest } from './http.ts';
import { readOnlyRefusal } from './read-only.ts';
import { shadowApiRefusal } from '../releases/targets.ts';

const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export interface ApiCaller {
  ref: string;
  domain: string;
  /** A shadow execution (issue 17): reads only, unless the API is shadow_safe. */
  shadow?: boolean;
}

export class PlatformApis {
  constructor(
    private readonly apis: Record<string, ApiDefinition>,
    private readonly vault: SecretVault,
    private readonly limiter: RateLimiter,
  ) {}

  has(api: string): boolean {
    return api in this.apis;
  }

  /** The declared APIs' names (GET /v1/platform/offers). */
  names(): string[] {
    return Object.keys(this.apis).sort();
  }

  /** Every API's credential in the forms an answer or a log may show it (the secret; a Basic header's encoding). */
  credentials(): SecretValue[] {
    const out: SecretValue[] = [];
    for (const def of Object.values(this.apis)) {
      const secret = def.auth.type === 'none' ? undefined : this.vault.get(def.auth.secret);
      if (secret) out.push(...credentialForms(def, secret));
    }
    return out;
  }

  async call(caller: ApiCaller, api: string, method: string, args: Record<string, unknown>): Promise<unknown> {
    const def = this.apis[api];
    if (!def)
      throw new AsporaError('UNAVAILABLE', `api ${api} is not declared on this platform`, {
        hint: `a platform admin declares it under apis.${api} in aspora.platform.yaml`,
      });
    const m = Object.hasOwn(def.methods, method) ? def.methods[method] : undefined;
    if (!m)
      throw new AsporaError('NOT_FOUND', `api ${api} has no method ${method}`, {
        hint: `its methods: ${Object.keys(def.methods).join(', ')}`,
      });
    // Before the rate limit: a refused call sends nothing and costs nothing.
    const what = `skill ${caller.ref}: api ${api}.${method}`;
    const notRead = def.read_only || caller.shadow ? readOnlyRefusal(m, args) : null;
    if (notRead && !def.read_only && !def.shadow_safe) throw shadowApiRefusal(caller.ref, api, method, notRead);
    if (notRead && def.read_only) {
      const rule = `apis.${api}.read_only`;
      throw new AsporaError(
        'PERMISSION_DENIED',
        `skill ${caller.ref} may not use api ${api}.${method}: ${rule} ${notRead}`,
        {
          hint: `${api} is declared read_only in aspora.platform.yaml: send reads only`,
          details: { skill: caller.ref, resource: `api ${api}.${method}`, rule },
        },
      );
    }
    const { path, rest } = fillPath(m.path, args, what);
    const url = confined(def.base_url, m.path, path, what);
    await this.#limit(caller, api, def);

    const auth = this.#auth(api, def);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'aspora-platform',
      ...def.headers,
      ...auth.headers,
    };
    let body: string | undefined;
    if (m.method === 'GET' || m.method === 'DELETE') {
      for (const [k, v] of Object.entries(rest)) url.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(rest);
    }
    const res = await httpRequest(url.toString(), {
      method: m.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      timeoutMs: def.timeout,
      maxBytes: MAX_RESPONSE_BYTES,
      what: `api ${api}.${method}`,
    });
    // An API that echoes the request (its Authorization header) must not hand the credential to the handler.
    const value = auth.scrub.value(parseBody(res.body, res.headers.get('content-type')));
    if (res.status >= 400) {
      throw new AsporaError(
        res.status === 404 ? 'NOT_FOUND' : res.status === 429 ? 'RATE_LIMITED' : 'UPSTREAM_ERROR',
        `api ${api}.${method} answered ${res.status}${typeof value === 'string' && value ? `: ${value.slice(0, 300)}` : ''}`,
        {
          details: { api, method, status: res.status, ...(typeof value === 'object' && value ? { body: value } : {}) },
        },
      );
    }
    return value;
  }

  async #limit(caller: ApiCaller, api: string, def: ApiDefinition): Promise<void> {
    const perSkill = await this.limiter.hit(
      `api:${api}:skill:${caller.ref}`,
      def.rate_limit.per_skill_per_hour,
      HOUR_MS,
    );
    const perDomain = perSkill.allowed
      ? await this.limiter.hit(`api:${api}:domain:${caller.domain}`, def.rate_limit.per_domain_per_day, DAY_MS)
      : perSkill;
    const refused = !perSkill.allowed
      ? { d: perSkill, rule: `${def.rate_limit.per_skill_per_hour} calls per skill per hour` }
      : !perDomain.allowed
        ? { d: perDomain, rule: `${def.rate_limit.per_domain_per_day} calls per domain per day` }
        : undefined;
    if (refused) {
      const s = Math.ceil(refused.d.retryAfterMs / 1000);
      throw new AsporaError(
        'RATE_LIMITED',
        `skill ${caller.ref}: api ${api} allows ${refused.rule}; try again in ${s} s`,
        { details: { api, rule: refused.rule, retryAfterSeconds: s } },
      );
    }
  }

  #auth(api: string, def: ApiDefinition): { headers: Record<string, string>; scrub: Redactor } {
    const a = def.auth;
    if (a.type === 'none') return { headers: {}, scrub: Redactor.NONE };
    const secret = this.vault.get(a.secret);
    if (secret === undefined)
      throw new AsporaError('UNAVAILABLE', `api ${api}: its credential ${a.secret} is not in the vault`, {
        hint: `set the secret ${a.secret} (aspora.platform.yaml secrets, or ASPORA_SECRET_${a.secret})`,
      });
    const scrub = new Redactor(credentialForms(def, secret));
    if (a.type === 'bearer') return { headers: { authorization: `Bearer ${secret}` }, scrub };
    if (a.type === 'basic') return { headers: { authorization: `Basic ${basic(a.username, secret)}` }, scrub };
    return { headers: { [a.name.toLowerCase()]: `${a.prefix ?? ''}${secret}` }, scrub };
  }
}

const basic = (user: string, secret: string) => Buffer.from(`${user}:${secret}`).toString('base64');

function credentialForms(def: ApiDefinition, secret: string): SecretValue[] {
  const a = def.auth;
  if (a.type === 'none') return [];
  return a.type === 'basic'
    ? [
        { name: a.secret, value: secret },
        { name: a.secret, value: basic(a.username, secret) },
      ]
    : [{ name: a.secret, value: secret }];
}

/**
 * `{name}` segments from args (removed from what is sent as body/query). A value is one path
 * segment and nothing more: `..` in `/profile/{userId}/goals` reached `GET /profile`, and as the
 * first segment it left the base URL's own path. Refused: empty, `.` and `..` — also once or twice
 * percent-decoded, as a server behind a proxy may decode again — and any `/` or `\`, encoded or not.
 */
function fillPath(
  template: string,
  args: Record<string, unknown>,
  what: string,
): { path: string; rest: Record<string, unknown> } {
  const rest = { ...args };
  const path = template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, k: string) => {
    const v = rest[k];
    if (v === undefined || v === null || typeof v === 'object')
      throw new AsporaError('BAD_REQUEST', `${what}: argument ${k} (a string or number) is required`);
    const s = String(v);
    if (!isSegment(s)) {
      throw new AsporaError(
        'BAD_REQUEST',
        `${what}: argument ${k} may not be empty, "." or "..", nor contain / or \\ (also percent-encoded): it would change the request's path`,
        {
          hint: `pass the ${k} itself; the API's path is fixed by the platform`,
          details: { argument: k },
        },
      );
    }
    delete rest[k];
    return encodeURIComponent(s);
  });
  return { path, rest };
}

function isSegment(value: string): boolean {
  let s = value;
  for (let i = 0; i < 3; i++) {
    if (s === '' || s === '.' || s === '..' || /[/\\]/.test(s)) return false;
    let next: string;
    try {
      next = decodeURIComponent(s);
    } catch {
      return true; // not valid percent-encoding: sent encoded as it is, and no server decodes it to a separator
    }
    if (next === s) return true;
    s = next;
  }
  return false; // still decoding after three rounds: no honest id is encoded three times
}

/**
 * The request URL, proven to stay under the base URL's path and the method's fixed prefix (the
 * template before its first `{`): a second line of defence should a value ever slip past fillPath.
 */
function confined(baseUrl: string, template: string, path: string, what: string): URL {
  const base = baseUrl.replace(/\/$/, '');
  const url = new URL(base + path);
  const brace = template.indexOf('{');
  const prefix = new URL(base + (brace < 0 ? template : template.slice(0, brace))).pathname;
  const origin = new URL(base).origin;
  if (url.origin !== origin || !url.pathname.startsWith(prefix)) {
    throw new AsporaError(
      'BAD_REQUEST',
      `${what}: the arguments would take the request outside the API's declared path`,
      { hint: 'pass ids as they are, without path separators or dot segments' },
    );
  }
  return url;
}

function parseBody(text: string, type: string | null): unknown {
  if (!text) return null;
  if (type?.includes('json') || /^[[{"\d-]|^(true|false|null)$/.test(text.trim())) {
    try {
      return JSON.parse(text);
    } catch {
      /* not JSON after all: the text */
    }
  }
  return text;
}
