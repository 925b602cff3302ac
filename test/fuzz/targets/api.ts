/**
 * The HTTP API of a live platform (PGlite, the bundle store, the sandbox runtime, an OpenAI stub as
 * its model provider), with one skill deployed and run, reached through a real socket with
 * requests built from its own /openapi.json (harness/raw-http.ts writes them byte by byte).
 * Properties: no answer is 5xx; a 4xx is JSON in the platform's error envelope (OpenAI's on the
 * OpenAI routes) and bounded; a 2xx JSON answer parses; every request is answered in time; after
 * the run /healthz answers, the skill is still there and still runs.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { platformOnStub, skillFolder } from '../../../packages/platform/test/helpers.ts';
import { packFiles } from '../../../packages/platform/src/store/index.ts';
import { apiCase, routesOf, type ApiCase, type Known, type OpenApi } from '../arbitraries/http.ts';
import { bundleCase, rawTar } from '../arbitraries/tar.ts';
import { mutatedYaml } from '../arbitraries/yaml.ts';
import { rawRequest, type RawResponse } from '../harness/raw-http.ts';
import { clip, FuzzFailure, type FuzzTarget } from '../harness/target.ts';

interface Ctx {
  port: number;
  token: string;
  known: Known;
  doc: OpenApi;
  cleanup: () => Promise<void>;
}

const OPENAI_ROUTES = new Set(['/v1/chat/completions', '/v1/embeddings', '/v1/models']);
const ANSWER_MS = 15_000;
const MAX_ERROR_BODY = 64 * 1024;

async function call(ctx: Ctx, method: string, path: string, body?: unknown): Promise<RawResponse> {
  const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  return rawRequest(
    ctx.port,
    {
      method,
      target: Buffer.from(path),
      headers: [
        ['authorization', `Bearer ${ctx.token}`],
        ...(bytes
          ? [['content-type', Buffer.isBuffer(body) ? 'application/gzip' : 'application/json'] as [string, string]]
          : []),
      ],
      ...(bytes ? { body: bytes } : {}),
    },
    60_000,
  );
}

function json(r: RawResponse): unknown {
  return JSON.parse(r.body.toString('utf8'));
}

async function expectOk(r: Promise<RawResponse>, what: string): Promise<unknown> {
  const res = await r;
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.body.toString('utf8').slice(0, 500)}`);
  return json(res);
}

/** Skill bundles whose aspora.config.yaml and SKILL.md went through the config mutations: the upload path end to end. */
function skillBundles(): fc.Arbitrary<Uint8Array> {
  const files = skillFolder({ version: '1.0.1' });
  const config = files.get('aspora.config.yaml')!.toString();
  const md = files.get('SKILL.md')!.toString();
  const front = /^---\n([\s\S]*?)\n---\n/.exec(md)![1]!;
  const mutated = fc
    .tuple(
      mutatedYaml([config]),
      fc.oneof(
        fc.constant(md),
        mutatedYaml([front]).map((f) => `---\n${f}\n---\nbody\n`),
      ),
      fc.nat(1000),
    )
    .map(([c, m, v]) => {
      const entries = [...files].map(([name, data]) => ({
        name,
        type: '0',
        data:
          name === 'aspora.config.yaml'
            ? Buffer.from(c.replace('1.0.1', `1.${v}.0`))
            : name === 'SKILL.md'
              ? Buffer.from(m)
              : data,
      }));
      return Uint8Array.from(gzipSync(rawTar(entries)));
    });
  const crafted = bundleCase.filter((b) => b.kind === 'bytes').map((b) => (b as { bytes: Uint8Array }).bytes);
  return fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: crafted });
}

function envelope(res: RawResponse, route: string): string | undefined {
  if (!/application\/json/i.test(res.headers['content-type'] ?? ''))
    return `content-type ${res.headers['content-type'] ?? '(none)'}`;
  let body: unknown;
  try {
    body = json(res);
  } catch {
    return `not JSON: ${clip(res.body.toString('utf8'), 200)}`;
  }
  const e = (body as { error?: Record<string, unknown> } | null)?.error;
  if (!e || typeof e !== 'object') return `no error object: ${clip(res.body.toString('utf8'), 200)}`;
  if (typeof e.message !== 'string' || !e.message) return 'error without a message';
  if (typeof e.code === 'string' && e.code) return undefined;
  if (OPENAI_ROUTES.has(route) && typeof e.type === 'string') return undefined; // OpenAI's envelope
  return `error without a code: ${clip(res.body.toString('utf8'), 200)}`;
}

const target: FuzzTarget<ApiCase, Ctx> = {
  async setup() {
    const token = `fuzz-admin-token-${Math.random().toString(36).slice(2)}`;
    const { p, cleanup } = await platformOnStub(token);
    const ctx: Ctx = {
      port: Number(new URL(p.url).port),
      token,
      known: undefined as unknown as Known,
      doc: undefined as unknown as OpenApi,
      cleanup,
    };
    const bundle = (await packFiles(skillFolder())).bytes;
    const published = (await expectOk(call(ctx, 'POST', '/v1/bundles', bundle), 'publish')) as {
      ref: string;
      digest: string;
      version: string;
    };
    await expectOk(
      call(ctx, 'POST', '/v1/skills/fraud/block-transaction/deployments', {
        environment: 'production',
        version: published.version,
      }),
      'deploy',
    );
    const run = (await expectOk(
      call(ctx, 'POST', '/v1/skills/fraud/block-transaction/executions', {
        input: { userMessage: 'block this payment' },
      }),
      'run',
    )) as { id: string };
    ctx.doc = (await expectOk(call(ctx, 'GET', '/openapi.json'), 'openapi')) as OpenApi;
    ctx.known = {
      domain: 'fraud',
      name: 'block-transaction',
      version: published.version,
      digest: published.digest,
      executionId: run.id,
      bundle,
    };
    return ctx;
  },
  async teardown(ctx) {
    await ctx.cleanup();
  },
  arbitrary: (ctx) => apiCase(routesOf(ctx.doc), ctx.doc, ctx.known, ctx.token, skillBundles()),
  preview: (x) =>
    `${x.req.method} ${clip(x.req.target.toString('latin1'), 300)} headers ${clip(JSON.stringify(x.req.headers.map(([k, v]) => [k, String(v)])), 300)} body ${x.req.body ? clip(x.req.body.toString('latin1'), 300) : '(none)'}`,
  async check(x, ctx) {
    let res: RawResponse;
    try {
      res = await rawRequest(ctx.port, x.req, ANSWER_MS);
    } catch (e) {
      throw new FuzzFailure(`no answer to ${x.req.method} ${x.route.path}`, (e as Error).message);
    }
    const code = (() => {
      try {
        return String((json(res) as { error?: { code?: unknown } }).error?.code ?? '');
      } catch {
        return '';
      }
    })();
    if (res.status >= 500)
      throw new FuzzFailure(
        `${res.status} ${code} on ${x.req.method} ${x.route.path}`,
        clip(res.body.toString('utf8'), 600),
      );
    if (res.status >= 400) {
      // Node's HTTP parser refuses malformed requests itself (400/431, no body) before the platform sees them.
      if (!res.headers['content-type'] && res.body.length === 0) return;
      if (x.req.method === 'HEAD') {
        if (!/application\/json/i.test(res.headers['content-type'] ?? ''))
          throw new FuzzFailure(
            `${res.status} not in the error envelope on ${x.route.path}`,
            `HEAD answered with content-type ${res.headers['content-type'] ?? '(none)'}`,
          );
        return; // a HEAD answer has no body to check
      }
      const bad = envelope(res, x.route.path);
      if (bad) throw new FuzzFailure(`${res.status} not in the error envelope on ${x.route.path}`, bad);
      if (res.body.length > MAX_ERROR_BODY)
        throw new FuzzFailure(
          `${res.status} ${code}: error body of unbounded size on ${x.route.path}`,
          `${res.body.length} bytes`,
        );
      return;
    }
    if (
      res.status < 300 &&
      !res.streamed &&
      x.req.method !== 'HEAD' &&
      /application\/json/i.test(res.headers['content-type'] ?? '')
    ) {
      try {
        json(res);
      } catch {
        throw new FuzzFailure(
          `${res.status} with a JSON content type that is not JSON on ${x.route.path}`,
          clip(res.body.toString('utf8'), 300),
        );
      }
    }
  },
  async after(ctx) {
    const health = await rawRequest(
      ctx.port,
      { method: 'GET', target: Buffer.from('/healthz'), headers: [] },
      ANSWER_MS,
    );
    if (health.status !== 200 || (json(health) as { status?: string }).status !== 'ok')
      throw new Error(`/healthz answered ${health.status} ${health.body.toString('utf8').slice(0, 200)}`);
    await expectOk(call(ctx, 'GET', '/v1/skills/fraud/block-transaction'), 'the deployed skill after the run');
    const run = (await expectOk(
      call(ctx, 'POST', '/v1/skills/fraud/block-transaction/executions', {
        input: { userMessage: 'block this payment' },
      }),
      'a run after the fuzzing',
    )) as { success?: boolean; error?: unknown };
    if (run.success !== true)
      throw new Error(`the skill no longer runs: ${JSON.stringify(run.error ?? run).slice(0, 500)}`);
  },
};

export default target;
