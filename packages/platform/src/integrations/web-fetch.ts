/**
 * The WebFetch tool, carried out by the host: the guard allows the URL (platform allow-list), every
 * redirect is checked again, with a deadline and a size cap. The sandbox itself has no network.
 */
import { AsporaError } from '@aspora/sdk';
import { httpRequest } from './http.ts';

export interface WebFetchPolicy {
  maxBytes: number;
  timeoutMs: number;
}

export interface WebFetchRequest {
  url: URL;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

const MAX_REDIRECTS = 5;

/** `check` throws for a URL the caller may not reach; it is asked again at every redirect. */
export async function webFetch(req: WebFetchRequest, policy: WebFetchPolicy, check: (url: URL) => void): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  let url = req.url;
  let method = (req.method ?? 'GET').toUpperCase();
  let body = req.body;
  for (let hop = 0; ; hop++) {
    check(url);
    const res = await httpRequest(url.toString(), {
      method,
      redirect: 'manual',
      headers: { 'user-agent': 'aspora-webfetch', ...(req.headers ?? {}) },
      ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
      timeoutMs: policy.timeoutMs,
      maxBytes: policy.maxBytes,
      what: `WebFetch ${url.hostname}`,
    });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      if (hop >= MAX_REDIRECTS) throw new AsporaError('UPSTREAM_ERROR', `WebFetch: more than ${MAX_REDIRECTS} redirects from ${req.url.hostname}`);
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
