/**
 * Local stand-ins for the external systems the example skills call (TRM, the fraud DB,
 * Checkout.com disputes, the payments ledger, payout partners, FX rates, user profiles, wealth
 * goals, Slack, the ECM gateway): one node:http server, one path prefix per API
 * (`/<api>/…`, the API's name in examples/aspora.platform.yaml), deterministic fixture data, and
 * in-memory state for writes. Not part of the platform: the platform calls it like any vendor API.
 *
 *   npx tsx examples/services/server.ts [port]      (port 4010 by default)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createCheckoutDisputes } from './apis/checkout-disputes.ts';
import { createEcmGateway } from './apis/ecm-gateway.ts';
import { createFraudDb } from './apis/fraud-db.ts';
import { createFxRatesApi } from './apis/fx-rates.ts';
import { createPaymentsLedger } from './apis/payments-ledger.ts';
import { createPayoutPartners } from './apis/payout-partners.ts';
import { createSlack } from './apis/slack.ts';
import { createTrmApi } from './apis/trm.ts';
import { createUserProfileApi } from './apis/user-profile.ts';
import { createWealthGoalsDb } from './apis/wealth-goals.ts';
import {
  authorized,
  compilePath,
  decodeQuery,
  HttpError,
  readJsonObject,
  Reply,
  sendJson,
  unauthorized,
} from './http.ts';
import type { ApiService, Args, Clock, Route } from './types.ts';

export const DEFAULT_PORT = 4010;

export interface ExampleServicesOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** The clock (tests); fixture times are anchored at its value when the server starts. */
  now?: () => number;
}

export interface ServiceCall {
  api: string;
  /** The method's name in aspora.platform.yaml. */
  method: string;
  args: Args;
}

export interface ExampleServices {
  /** http://host:port — what ASPORA_EXAMPLE_SERVICES_URL should be set to. */
  url: string;
  /** Every authenticated request that reached a method, oldest first (failed ones included). */
  calls: ServiceCall[];
  close(): Promise<void>;
}

/** A fresh set of stand-ins with their own state. */
export function createExampleApis(clock: Clock): ApiService[] {
  const ecm = createEcmGateway(clock);
  return [
    createTrmApi(),
    createFraudDb(clock),
    createCheckoutDisputes(clock),
    createPaymentsLedger(clock),
    createPayoutPartners(clock),
    createFxRatesApi(clock),
    createUserProfileApi(),
    createWealthGoalsDb(clock),
    createSlack(clock),
    ecm.redshift,
    ecm.sheets,
  ];
}

export async function startExampleServices(opts: ExampleServicesOptions = {}): Promise<ExampleServices> {
  const now = opts.now ?? Date.now;
  const clock: Clock = { now, anchor: now() };
  const services = new Map(
    createExampleApis(clock).map((s) => [
      s.api,
      { ...s, compiled: s.routes.map((r) => ({ route: r, path: compilePath(r.path) })) },
    ]),
  );
  const calls: ServiceCall[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, prefix = '', ...segments] = url.pathname.split('/');
    const service = services.get(prefix);
    if (!service)
      throw new HttpError(
        404,
        'unknown_api',
        `no example service at /${prefix}; services: ${[...services.keys()].map((k) => `/${k}`).join(', ')}`,
      );
    if (!authorized(req.headers, service.credential)) throw unauthorized(service.api, service.credential);

    const path = `/${segments.join('/')}`;
    const onPath = service.compiled.map((c) => ({ ...c, params: c.path.match(path) })).filter((c) => c.params);
    const hit = onPath.find((c) => c.route.method === req.method);
    if (!hit) {
      if (onPath.length)
        throw new HttpError(405, 'method_not_allowed', `${req.method} ${path} is not allowed on ${service.api}`, {
          allow: onPath.map((c) => c.route.method).join(', '),
        });
      throw new HttpError(
        404,
        'no_route',
        `${service.api} has no ${req.method} ${path}; its routes: ${routeList(service.routes)}`,
      );
    }
    const input =
      req.method === 'GET' || req.method === 'DELETE'
        ? (req.resume(), decodeQuery(url.searchParams))
        : await readJsonObject(req);
    const args = { ...input, ...hit.params };
    calls.push({ api: service.api, method: hit.route.name, args });
    const out = await hit.route.handle(args, { headers: req.headers });
    if (out instanceof Reply) sendJson(res, out.status, out.body);
    else sendJson(res, 200, out);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      req.resume();
      if (res.headersSent) return res.destroy();
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', (err as Error).message);
      sendJson(res, e.status, { error: { code: e.code, message: e.message } }, e.headers);
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections(); // the platform's fetch keeps connections alive
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

const routeList = (routes: Route[]) => routes.map((r) => `${r.method} ${r.path}`).join(', ');

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = process.argv[2] ?? process.env.PORT;
  const port = arg === undefined ? DEFAULT_PORT : Number(arg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`usage: npx tsx examples/services/server.ts [port]   (got "${arg}")`);
    process.exit(2);
  }
  const s = await startExampleServices({ port });
  console.log(`example services listening on ${s.url}`);
  if (port !== DEFAULT_PORT) console.log(`for the platform: export ASPORA_EXAMPLE_SERVICES_URL=${s.url}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void s.close().then(() => process.exit(0)));
}
