import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { routes } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { ApiDeps } from '../deps.ts';
import { actorOf } from './actor.ts';
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
    const actor = actorOf(c);
    const res = await deps.publisher.publish(bytes, actor ? { actor } : {});
    return c.json(res, res.created ? 201 : 200);
  });

  app.openapi(createRoute(routes.getBundle), async (c) => {
    const { digest } = c.req.valid('param');
    parseDigest(digest);
    const bytes = await deps.store.get(digest);
    return c.body(new Uint8Array(bytes), 200, {
      'content-type': 'application/gzip',
      'cache-control': 'public, max-age=31536000, immutable',
    });
  });
}
