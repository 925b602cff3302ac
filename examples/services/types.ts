/** What every stand-in API module shares: its routes, the credential it expects, the clock. */
import type { IncomingHttpHeaders } from 'node:http';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A call's arguments, as the handler passed them to `context.apis.<api>.<method>(args)`. */
export type Args = Record<string, unknown>;

/** The credential a stand-in accepts: what examples/aspora.platform.yaml makes the host send. */
export type Credential =
  | { type: 'bearer'; token: string }
  | { type: 'header'; name: string; value: string }
  | { type: 'basic'; username: string; password: string };

export interface RequestInfo {
  headers: IncomingHttpHeaders;
}

export interface Route {
  /** The method's name under apis.<api>.methods in aspora.platform.yaml (what `calls` records). */
  name: string;
  method: HttpMethod;
  /** The same path as in aspora.platform.yaml; `{x}` segments arrive in args. */
  path: string;
  /**
   * Gets the path params plus the JSON body (POST/PUT/PATCH) or the decoded query (GET/DELETE),
   * i.e. the args the handler passed. Returns the response body (200), a Reply, or throws HttpError.
   */
  handle(args: Args, req: RequestInfo): unknown;
}

export interface ApiService {
  /** The API's name in aspora.platform.yaml; also its path prefix on the server (`/<api>/…`). */
  api: string;
  credential: Credential;
  routes: Route[];
}

/**
 * Fixture timestamps are offsets from `anchor` (the server's start), so "stuck 14 h" or "evidence
 * due in 6 days" read the same whenever the services run; durations are measured to `now()`.
 */
export interface Clock {
  now(): number;
  readonly anchor: number;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** ISO 8601 (UTC) of the instant `hours` before the clock's anchor. */
export const hoursAgo = (clock: Clock, hours: number): string => new Date(clock.anchor - hours * HOUR_MS).toISOString();
