import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { ApiDeps } from '../deps.ts';
import { callerLabel, canManage, forbidden } from '../../access/principal.ts';
import { callerOf } from '../caller.ts';
import { parseDigest } from '../../store/index.ts';

export function bundleRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const tooLarge = (max: number) =>
    bodyLimit({
      maxSize: max,
      onError: () => {
        throw new AsporaError('BUNDLE_TOO_LARGE', `bundle is larger than ${max} bytes`, {
          hint: 'remove large assets or list them in .asporaignore; the platform limit is ASPORA_MAX_BUNDLE_BYTES',
        });
      },
    });
  app.use('/v1/bundles', tooLarge(deps.limits.maxBundleBytes));

  app.openapi(createRoute(routes.publishBundle), async (c) => {
    const bytes = Buffer.from(await c.req.arrayBuffer());
    if (bytes.length === 0)
      throw new AsporaError('BAD_REQUEST', 'empty body', {
        hint: 'send the bundle bytes (aspora deploy does this for you)',
      });
    const p = callerOf(c);
    const res = await deps.publisher.publish(bytes, {
      actor: callerLabel(p),
      // Before anything is stored: a new version of an existing skill is its owner team's to
      // publish, and a version names an owner team its publisher belongs to (admins: any).
      authorize: async (ref, ownerTeam) => {
        await deps.skillAccess.requireManage(p, ref, 'publish a version of');
        if (!canManage(p, { ownerTeam }))
          throw forbidden(p, 'publish', ref, `owner_team ${ownerTeam} must be a team of the publisher (or an admin's)`);
      },
    });
    if (res.created) deps.recordAudit(c, 'skill.publish', `${res.ref}@${res.version}`, { digest: res.digest });
    return c.json(res, res.created ? 201 : 200);
  });

  app.openapi(createRoute(routes.getBundle), async (c) => {
    const { digest } = c.req.valid('param');
    parseDigest(digest);
    // A bundle is readable by whoever may see a skill version made of it; to others it does not exist.
    const refs = await deps.registry.db.query<{ ref: string }>(
      `SELECT s.domain || '/' || s.name AS ref FROM skill_versions v JOIN skills s ON s.id = v.skill_id
       WHERE v.bundle_digest = $1`,
      [digest],
    );
    const visible = await deps.skillAccess.visibleTo(callerOf(c));
    if (!refs.some((r) => visible(r.ref)))
      throw new AsporaError('BUNDLE_NOT_FOUND', `no bundle with digest ${digest}`, {
        hint: 'upload the bundle first (aspora deploy), or check the digest',
        details: { digest },
      });
    const bytes = await deps.store.get(digest);
    return c.body(new Uint8Array(bytes), 200, {
      'content-type': 'application/gzip',
      'cache-control': 'private, max-age=31536000, immutable',
    });
  });
}
