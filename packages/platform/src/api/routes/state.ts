/**
 * A team's state tables, for its operators: list them, read their rows and load rows (an import
 * of the ops sheet, seed data). Skills' row rules bind skills, not the team's operators, who see
 * and load every row of their own team's tables — never another team's.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import { callerLabel, requireTeamManager, type Principal } from '../../access/principal.ts';
import { ALL } from '../../state/store.ts';
import { checkRow } from '../../state/where.ts';
import { callerOf } from '../caller.ts';
import type { ApiDeps } from '../deps.ts';

const RULE = "a team's state tables are operated by its members with the deploy scope, and by admins";

const mayOperate = (p: Principal, action: string, team: string) => requireTeamManager(p, action, team, RULE);

const everything = (team: string, table: string) => ({ team, table, read: ALL, write: ALL, own: ALL });

export function stateRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  // Read per request: an app built without a runtime (tests of the routes' wiring) still registers them.
  const store = () => deps.runtime.state;

  app.openapi(createRoute(routes.listStateTables), async (c) => {
    const { team } = c.req.valid('param');
    mayOperate(callerOf(c), 'list the state tables of', team);
    return c.json({ tables: await store().tables(team) }, 200);
  });

  app.openapi(createRoute(routes.listStateRows), async (c) => {
    const { team, table } = c.req.valid('param');
    mayOperate(callerOf(c), 'read the state tables of', team);
    const { limit } = c.req.valid('query');
    return c.json({ rows: await store().select(everything(team, table), {}, { limit }) }, 200);
  });

  app.openapi(createRoute(routes.importStateRows), async (c) => {
    const { team, table } = c.req.valid('param');
    const p = callerOf(c);
    mayOperate(p, 'load rows into the state tables of', team);
    if (!(await deps.access.directory.teamExists(team)))
      throw new AsporaError('NOT_FOUND', `no team ${team}`, { hint: `aspora teams create ${team} (admins)` });
    const body = c.req.valid('json');
    const rows = body.rows.map((r, i) => checkRow(r, `rows[${i}]`));
    const by = callerLabel(p);
    const { inserted, removed } = await store().load(everything(team, table), rows, body.replace, by);
    deps.log.info({ team, table, inserted, removed, by }, 'state rows loaded');
    deps.recordAudit(c, 'state.import', `team ${team}`, { table, inserted, removed });
    return c.json({ inserted, removed }, 200);
  });
}
