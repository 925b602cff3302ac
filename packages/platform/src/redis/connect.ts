import type { Redis } from 'ioredis';
import { AsporaError } from '@aspora/sdk';

const CONNECT_TIMEOUT_MS = 3_000;

/**
 * Connects to Redis (REDIS_URL) and fails fast with a typed error when it is unreachable, so a
 * platform configured for shared counters does not start without them. Once connected, ioredis
 * reconnects by itself; a command issued while Redis is down fails after one retry instead of
 * queueing indefinitely (a model call must not hang on its budget check).
 */
export async function connectRedis(url: string): Promise<Redis> {
  // Loaded only when Redis is configured: most single-process platforms never need it.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 1 });
  // ioredis reports connection trouble as 'error' events (and prints them when nobody listens);
  // commands reject on their own, so keep only the latest for the message below.
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => void (lastError = err));
  // connectTimeout covers the TCP connect only; this also bounds a server that never answers.
  const timer = setTimeout(() => {
    lastError ??= new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`);
    redis.disconnect();
  }, CONNECT_TIMEOUT_MS + 1_000);
  try {
    await redis.connect();
    return redis;
  } catch (err) {
    redis.disconnect(); // stops the reconnect loop ioredis would otherwise keep running
    const reason = lastError ?? (err as Error);
    throw new AsporaError('UNAVAILABLE', `cannot reach Redis at ${redact(url)}: ${reason.message}`, {
      hint: 'start Redis or unset REDIS_URL',
      cause: reason,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** The URL without its password: it ends up in logs and error bodies. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}
