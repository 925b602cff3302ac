/**
 * A domain's shared resources: register a version (deploy scope; admins or a team owning a skill
 * of the domain) and list them (whoever may see a skill of the domain). The bundle is bytes,
 * bounded like a skill bundle before it is read.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { ApiDeps } from '../deps.ts';
import { callerLabel } from '../../access/principal.ts';
import { callerOf } from '../caller.ts';
import { SharedResources } from '../../shared/index.ts';

export function sharedResourceRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const shared = new SharedResources(deps.registry.db, deps.store, { maxCompressedBytes: deps.limits.maxBundleBytes });
  app.use(
    '/v1/shared-resources/*',
    bodyLimit({
      maxSize: deps.limits.maxBundleBytes,
      onError: () => {
        throw new AsporaError('BUNDLE_TOO_LARGE', `bundle is larger than ${deps.limits.maxBundleBytes} bytes`, {
          hint: 'list large files in the shared folder’s .asporaignore; the platform limit is ASPORA_MAX_BUNDLE_BYTES',
        });
      },
    }),
  );

  app.openapi(createRoute(routes.registerSharedResources), async (c) => {
    const { domain } = c.req.valid('param');
    const { version } = c.req.valid('query');
    const p = callerOf(c);
    // Before the body is read: a refused caller's upload is neither unpacked nor stored (app.ts audits the denial).
    await shared.requireRegister(p, domain);
    const bytes = Buffer.from(await c.req.arrayBuffer());
    const res = await shared.register(domain, bytes, { version, actor: callerLabel(p) });
    if (res.created) {
      deps.log.info({ domain, version: res.version.version, by: callerLabel(p) }, 'shared resources registered');
      deps.recordAudit(c, 'shared.register', `domain ${domain}`, {
        version: res.version.version,
        digest: res.version.digest,
      });
    }
    return c.json({ ...res.version, created: res.created }, res.created ? 201 : 200);
  });

  app.openapi(createRoute(routes.listSharedResources), async (c) => {
    const { domain } = c.req.valid('param');
    const p = callerOf(c);
    const refs = await deps.registry.db.query<{ ref: string }>(
      `SELECT domain || '/' || name AS ref FROM skills WHERE domain = $1`,
      [domain],
    );
    const visible = await deps.skillAccess.visibleTo(p);
    // A domain none of whose skills the caller sees is answered as one that does not exist.
    if (!p.admin && !refs.some((r) => visible(r.ref)))
      throw new AsporaError('NOT_FOUND', `no shared resources of domain ${domain}`, {
        hint: 'aspora list --domain <domain> shows the domains of the skills you may see',
      });
    return c.json({ domain, versions: await shared.list(domain) }, 200);
  });
}
