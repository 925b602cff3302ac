/** whoami, teams, users and their roles, tokens. The middleware has checked the route's scope. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import type { Principal } from '../../access/principal.ts';
import { callerOf } from '../caller.ts';
import type { ApiDeps } from '../deps.ts';

export function accessRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  // Read at request time: the app's routes can be registered (and documented) without a database.
  const directory = () => deps.access.directory;
  const tokens = () => deps.access.tokens;
  const auth = () => deps.access.auth;
  const audit: ApiDeps['recordAudit'] = (...a) => deps.recordAudit(...a);

  app.openapi(createRoute(routes.whoami), (c) => c.json(principalInfo(callerOf(c)), 200));

  app.openapi(createRoute(routes.listTeams), async (c) => c.json({ teams: await directory().listTeams() }, 200));

  app.openapi(createRoute(routes.createTeam), async (c) => {
    const b = c.req.valid('json');
    const team = await directory().createTeam(b.name, b.description);
    audit(c, 'team.create', `team ${b.name}`);
    return c.json(team, 201);
  });

  app.openapi(createRoute(routes.listUsers), async (c) => c.json({ users: await directory().listUsers() }, 200));

  app.openapi(createRoute(routes.createUser), async (c) => {
    const { user, created } = await directory().addUser(c.req.valid('json'));
    auth().invalidate();
    audit(c, created ? 'user.create' : 'user.update', user.email, { teams: user.teams, admin: user.admin });
    return c.json(user, created ? 201 : 200);
  });

  app.openapi(createRoute(routes.addMember), async (c) => {
    const { team } = c.req.valid('param');
    const b = c.req.valid('json');
    const user = await directory().setMembership(team, b.email, b.role);
    auth().invalidate();
    audit(c, 'team.member.set', `team ${team}`, { user: user.email, role: b.role });
    return c.json(user, 200);
  });

  app.openapi(createRoute(routes.removeMember), async (c) => {
    const { team, email } = c.req.valid('param');
    const user = await directory().removeMembership(team, email);
    auth().invalidate();
    audit(c, 'team.member.remove', `team ${team}`, { user: user.email });
    return c.json(user, 200);
  });

  app.openapi(createRoute(routes.listTokens), async (c) =>
    c.json({ tokens: await tokens().list(callerOf(c), c.req.valid('query').all) }, 200),
  );

  app.openapi(createRoute(routes.createToken), async (c) => {
    const t = await tokens().issue(callerOf(c), c.req.valid('json'));
    const { token: _secret, ...shown } = t;
    audit(c, 'token.create', `token ${t.id}`, shown);
    c.header('cache-control', 'no-store');
    return c.json(t, 201);
  });

  app.openapi(createRoute(routes.revokeToken), async (c) => {
    const t = await tokens().revoke(callerOf(c), c.req.valid('param').id);
    auth().invalidate();
    audit(c, 'token.revoke', `token ${t.id}`, { user: t.user, team: t.team, name: t.name });
    return c.json(t, 200);
  });
}

function principalInfo(p: Principal) {
  return {
    kind: p.kind,
    tokenId: p.tokenId,
    user: p.user,
    team: p.team,
    teams: [...p.teams].map(([team, role]) => ({ team, role })),
    admin: p.admin,
    scopes: [...p.scopes],
    expiresAt: p.expiresAt === null ? null : new Date(p.expiresAt).toISOString(),
  };
}
