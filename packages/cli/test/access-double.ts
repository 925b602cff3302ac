/**
 * A test double of the platform's access routes (whoami, teams, users, members, tokens), for the
 * CLI's tests while the server side is built. It is driven by the contract itself: the route is
 * found in `routes`, its path, query and body parsed with the route's request schemas (a 400 like
 * the server's otherwise), its x-aspora-access rule applied to the caller, and every answer checked
 * against the route's response schema: an answer outside the contract is recorded in `violations`
 * (which the tests assert empty) and sent as a 500, so the double cannot drift from the contract.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routes, type PrincipalInfo, type RouteName, type RouteSpec } from '@aspora/api';

interface Team {
  name: string;
  description: string | null;
  createdAt: string;
}
interface User {
  id: string;
  email: string;
  name: string | null;
  admin: boolean;
  teams: Array<{ team: string; role: string }>;
  createdAt: string;
}
interface Token {
  id: string;
  name: string | null;
  kind: 'user' | 'service';
  user: string | null;
  team: string | null;
  scopes: PrincipalInfo['scopes'];
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface Recorded {
  route: RouteName;
  authorization: string | undefined;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
}

export interface AccessDouble {
  url: string;
  /** Every request that reached a route, in order. */
  requests: Recorded[];
  /** Answers the double tried to send outside the contract (must stay empty). */
  violations: string[];
  /** Tokens the double accepts, by value (tokens create adds to it). */
  principals: Map<string, PrincipalInfo>;
  teams: Map<string, Team>;
  users: Map<string, User>;
  tokens: Map<string, Token>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: Array<{ file: string; path: string; message: string }>,
  ) {
    super(message);
  }
}

const now = () => new Date().toISOString();
const ACCESS = Object.entries(routes).filter(([, r]) => (r as RouteSpec).tags.includes('access')) as Array<
  [RouteName, RouteSpec]
>;
/** The routes this double answers; the rest (secrets, audit) belong to other parts of the issue. */
const SERVED = new Set<RouteName>([
  'whoami',
  'listTeams',
  'createTeam',
  'listUsers',
  'createUser',
  'addMember',
  'removeMember',
  'listTokens',
  'createToken',
  'revokeToken',
]);

function matcher(path: string): RegExp {
  return new RegExp(`^${path.replace(/\{([A-Za-z0-9_]+)\}/g, '(?<$1>[^/]+)')}$`);
}
const table = ACCESS.filter(([name]) => SERVED.has(name)).map(([name, spec]) => ({
  name,
  spec,
  re: matcher(spec.path),
}));

interface Parser {
  safeParse(
    v: unknown,
  ):
    | { success: true; data: unknown }
    | { success: false; error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> } };
}

/** A request part as the route's schema accepts it, or the 400 the server would answer. */
function parse(schema: Parser | undefined, value: unknown, where: string): unknown {
  if (!schema) return value;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new HttpError(
    400,
    'BAD_REQUEST',
    `the request's ${where} is not valid`,
    r.error.issues.map((i) => ({ file: where, path: i.path.map(String).join('.'), message: i.message })),
  );
}

export async function startAccessDouble(principals: Record<string, PrincipalInfo>): Promise<AccessDouble> {
  const d: Omit<AccessDouble, 'url' | 'close'> = {
    requests: [],
    violations: [],
    principals: new Map(Object.entries(principals)),
    teams: new Map(),
    users: new Map(),
    tokens: new Map(),
  };
  const userOut = (u: User) => ({ ...u, teams: [...u.teams] });
  const teamOut = (t: Team) => ({
    ...t,
    members: [...d.users.values()].filter((u) => u.teams.some((m) => m.team === t.name)).length,
  });
  const tokenOut = (t: Token) => ({ ...t });
  const team = (name: string) => {
    const t = d.teams.get(name);
    if (!t) throw new HttpError(404, 'NOT_FOUND', `no team ${name}`);
    return t;
  };
  const user = (email: string) => {
    const u = d.users.get(email);
    if (!u) throw new HttpError(404, 'NOT_FOUND', `no user ${email}`);
    return u;
  };
  const setRole = (u: User, teamName: string, role: string) => {
    team(teamName);
    u.teams = [...u.teams.filter((m) => m.team !== teamName), { team: teamName, role }];
  };

  // The parsed parts, as the route's schemas gave them (the handlers trust them as the server's would).
  type In = { params: any; query: any; body: any; caller: PrincipalInfo };
  const handlers: Partial<Record<RouteName, (i: In) => [number, unknown]>> = {
    whoami: ({ caller }) => [200, caller],
    listTeams: () => [200, { teams: [...d.teams.values()].map(teamOut) }],
    createTeam: ({ body }) => {
      if (d.teams.has(body.name)) throw new HttpError(409, 'VERSION_CONFLICT', `team ${body.name} exists`);
      const t = { name: body.name, description: body.description ?? null, createdAt: now() };
      d.teams.set(t.name, t);
      return [201, teamOut(t)];
    },
    listUsers: () => [200, { users: [...d.users.values()].map(userOut) }],
    createUser: ({ body }) => {
      const existing = d.users.get(body.email);
      const u: User = existing ?? {
        id: randomUUID(),
        email: body.email,
        name: body.name ?? null,
        admin: body.admin,
        teams: [],
        createdAt: now(),
      };
      if (body.team) setRole(u, body.team, body.role ?? 'member');
      d.users.set(u.email, u);
      return [existing ? 200 : 201, userOut(u)];
    },
    addMember: ({ params, body }) => {
      const u = user(body.email);
      setRole(u, params.team, body.role);
      return [200, userOut(u)];
    },
    removeMember: ({ params }) => {
      team(params.team);
      const u = user(params.email);
      if (!u.teams.some((m) => m.team === params.team))
        throw new HttpError(404, 'NOT_FOUND', `${params.email} is not in ${params.team}`);
      u.teams = u.teams.filter((m) => m.team !== params.team);
      return [200, userOut(u)];
    },
    listTokens: ({ query, caller }) => {
      const mine = (t: Token) =>
        (caller.user && t.user === caller.user.email) || caller.teams.some((m) => m.team === t.team);
      return [200, { tokens: [...d.tokens.values()].filter((t) => query.all || mine(t)).map(tokenOut) }];
    },
    createToken: ({ body, caller }) => {
      if (body.team) team(body.team);
      const value = `asp_${randomBytes(24).toString('base64url')}`;
      const days = body.expires === 'never' ? undefined : Number.parseInt(body.expires, 10);
      const t: Token = {
        id: randomUUID(),
        name: body.name ?? null,
        kind: body.team ? 'service' : 'user',
        user: body.team ? null : (body.user ?? caller.user?.email ?? null),
        team: body.team ?? null,
        scopes: body.scopes,
        prefix: value.slice(0, 8),
        createdAt: now(),
        expiresAt: days === undefined ? null : new Date(Date.now() + days * 86_400_000).toISOString(),
        revokedAt: null,
        lastUsedAt: null,
      };
      d.tokens.set(t.id, t);
      return [201, { ...tokenOut(t), token: value }];
    },
    revokeToken: ({ params }) => {
      const t = d.tokens.get(params.id);
      if (!t) throw new HttpError(404, 'NOT_FOUND', `no token ${params.id}`);
      t.revokedAt = now();
      return [200, tokenOut(t)];
    },
  };

  async function handle(req: IncomingMessage, seen: { route?: RouteName }): Promise<[number, unknown]> {
    const u = new URL(req.url ?? '/', 'http://double');
    const method = (req.method ?? 'GET').toLowerCase();
    const hit = table.find((r) => r.spec.method === method && r.re.test(u.pathname));
    if (!hit) throw new HttpError(404, 'NOT_FOUND', `no route ${method.toUpperCase()} ${u.pathname} in this double`);
    const auth = req.headers.authorization;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const rawParams = Object.fromEntries(
      Object.entries(hit.re.exec(u.pathname)!.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]),
    );
    const rawBody = text ? JSON.parse(text) : undefined;
    const rec: Recorded = {
      route: hit.name,
      authorization: auth,
      params: rawParams,
      query: Object.fromEntries(u.searchParams),
      body: rawBody,
    };
    d.requests.push(rec);
    seen.route = hit.name;
    const caller = auth?.startsWith('Bearer ') ? d.principals.get(auth.slice(7)) : undefined;
    if (!caller) throw new HttpError(401, 'UNAUTHORIZED', 'no, expired or revoked token');
    const rule = hit.spec['x-aspora-access'];
    // principal.ts's hasScope: the token's scope, or an admin holding an admin token (all but act-as).
    const has = (scope: PrincipalInfo['scopes'][number]) =>
      caller.scopes.includes(scope) || (scope !== 'act-as' && caller.admin && caller.scopes.includes('admin'));
    if (rule !== 'any' && rule !== 'open' && (rule === 'admin' ? !(caller.admin && has('admin')) : !has(rule)))
      throw new HttpError(403, 'FORBIDDEN', `${caller.user?.email ?? caller.team} may not ${hit.name}: needs ${rule}`);
    const bodySchema = hit.spec.request?.body?.content['application/json']?.schema;
    return handlers[hit.name]!({
      params: parse(hit.spec.request?.params, rawParams, 'path'),
      query: parse(hit.spec.request?.query, rec.query, 'query'),
      body: parse(bodySchema, rawBody, 'body'),
      caller,
    });
  }

  function send(res: ServerResponse, name: RouteName | undefined, status: number, body: unknown): void {
    const schema =
      status >= 400
        ? routes.whoami.responses[401].content['application/json'].schema
        : name && (routes[name] as RouteSpec).responses[status]?.content?.['application/json']?.schema;
    const check = schema?.safeParse(body);
    if (!schema || !check?.success) {
      d.violations.push(`${name ?? '?'} ${status}: ${check?.error?.message ?? 'no schema for this status'}`);
      status = 500;
      body = { error: { code: 'INTERNAL', message: 'the double answered outside the contract' } };
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  const server = createServer((req, res) => {
    const seen: { route?: RouteName } = {};
    handle(req, seen).then(
      ([status, body]) => send(res, seen.route, status, body),
      (e: unknown) => {
        if (e instanceof HttpError)
          send(res, undefined, e.status, {
            error: { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) },
          });
        else send(res, undefined, 500, { error: { code: 'INTERNAL', message: String(e) } });
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    ...d,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
