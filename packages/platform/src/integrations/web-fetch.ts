/**
 * The WebFetch tool, carried out by the host: the guard allows the URL (platform allow-list of
 * hosts and ports), the dispatcher allows the addresses it connects to (no loopback, private,
 * link-local … unless web_fetch.allow_private says so), every redirect is checked again by both,
 * with a deadline and a size cap. The sandbox itself has no network.
 */
import { AsporaError } from '@aspora/sdk';
import type { Dispatcher } from 'undici';
import { AddressRefused } from './guarded-dispatcher.ts';
import { httpRequest } from './http.ts';

export interface WebFetchPolicy {
  maxBytes: number;
  timeoutMs: number;
  /** guardedDispatcher(…): refuses forbidden addresses at connect time. */
  dispatcher: Dispatcher;
}

/** What WebFetch needs of the permission guard: the URL check, and a denial naming the skill. */
export interface WebFetchGuard {
  url(u: URL): unknown;
  deny(resource: string, rule: string, hint?: string): AsporaError;
}

export interface WebFetchRequest {
  url: URL;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

const MAX_REDIRECTS = 5;

/** `guard.url` throws for a URL the caller may not reach; it is asked again at every redirect. */
export async function webFetch(
  req: WebFetchRequest,
  policy: WebFetchPolicy,
  guard: WebFetchGuard,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  let url = req.url;
  let method = (req.method ?? 'GET').toUpperCase();
  let body = req.body;
  for (let hop = 0; ; hop++) {
    guard.url(url);
    const res = await httpRequest(url.toString(), {
      method,
      redirect: 'manual',
      headers: { 'user-agent': 'aspora-webfetch', ...(req.headers ?? {}) },
      ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
      dispatcher: policy.dispatcher,
      timeoutMs: policy.timeoutMs,
      maxBytes: policy.maxBytes,
      what: `WebFetch ${url.hostname}`,
    }).catch((e: unknown) => {
      if (e instanceof AddressRefused) {
        throw guard.deny(
          `address ${e.address}:${e.port}${e.host === e.address ? '' : ` (${e.host})`}`,
          `${e.reason}; WebFetch connects to public addresses only`,
          e.hint,
        );
      }
      throw e;
    });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      if (hop >= MAX_REDIRECTS)
        throw new AsporaError(
          'UPSTREAM_ERROR',
          `WebFetch: more than ${MAX_REDIRECTS} redirects from ${req.url.hostname}`,
        );
      url = new URL(location, url);
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      continue;
    }
    return { status: res.status, headers: Object.fromEntries(res.headers), body: res.body };
  }
}
