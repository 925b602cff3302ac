import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { AsporaError } from '@aspora/sdk';
import type { ApiDeps } from '../deps.ts';
import { ErrorSchema, PublishResultSchema } from '../schemas.ts';
import { actorOf } from './shared.ts';
import { parseDigest } from '../../store/index.ts';

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

export function bundleRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const tooLarge = (max: number) =>
    bodyLimit({
      maxSize: max,
      onError: () => {
        throw new AsporaError('BUNDLE_TOO_LARGE', `bundle is larger than ${max} bytes`, { hint: 'remove large assets or list them in .asporaignore; the platform limit is ASPORA_MAX_BUNDLE_BYTES' });
      },
    });
  app.use('/v1/bundles', tooLarge(deps.limits.maxBundleBytes));

  app.openapi(
    createRoute({
      method: 'post', path: '/v1/bundles', tags: ['deploy'],
      summary: 'Upload a skill bundle (deterministic tar.gz of the skill folder): validate, store by content address, register its version',
      request: { body: { required: true, content: { 'application/gzip': { schema: z.string().openapi({ format: 'binary' }) } } } },
      responses: {
        201: { description: 'new version registered', content: { 'application/json': { schema: PublishResultSchema } } },
        200: { description: 'this exact version was already registered', content: { 'application/json': { schema: PublishResultSchema } } },
        400: err('corrupt bundle'), 409: err('version already registered with other content'), 413: err('too large'), 422: err('invalid skill'),
      },
    }),
    async (c) => {
      const bytes = Buffer.from(await c.req.arrayBuffer());
      if (bytes.length === 0) throw new AsporaError('BAD_REQUEST', 'empty body', { hint: 'send the bundle bytes (aspora deploy does this for you)' });
      const actor = actorOf(c);
      const res = await deps.publisher.publish(bytes, actor ? { actor } : {});
      return c.json(res, res.created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/bundles/{digest}', tags: ['deploy'], summary: 'Download a bundle by its content address',
      request: { params: z.object({ digest: z.string().openapi({ param: { name: 'digest', in: 'path' }, example: 'sha256:…' }) }) },
      responses: { 200: { description: 'bundle bytes', content: { 'application/gzip': { schema: z.string().openapi({ format: 'binary' }) } } }, 404: err('unknown digest'), 400: err('malformed digest') },
    }),
    async (c) => {
      const { digest } = c.req.valid('param');
      parseDigest(digest);
      const bytes = await deps.store.get(digest);
      return c.body(new Uint8Array(bytes), 200, { 'content-type': 'application/gzip', 'cache-control': 'public, max-age=31536000, immutable' });
    },
  );
}
