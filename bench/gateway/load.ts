/**
 * The load generator, a child process of run.ts (so it shares no event loop with anything it
 * measures): one job at a time over IPC, keep-alive connections (an undici Pool per target).
 *   closed: `concurrency` requests in flight at all times, for `seconds` or for `count` requests;
 *   open:   requests scheduled at fixed times (`rate` per second); each latency runs from the
 *           scheduled time, not the send, so a stalled target or generator cannot hide queueing
 *           (coordinated omission). For streams, the latency is to the first chunk with content.
 */
import { Pool } from 'undici';
import { chatBody, type Target } from './targets.ts';

export type Job =
  | { kind: 'closed'; target: Target; concurrency: number; seconds?: number; count?: number }
  | { kind: 'open'; target: Target; rate: number; seconds: number; stream: boolean };

export interface JobResult {
  ok: number;
  errors: number;
  firstError?: string;
  wallMs: number;
  /** open only: ms from each request's scheduled time to its answer (or first content). */
  latencies: number[];
  /** open only: how late the generator sent, worst case (ms): above ~1 ms it did not keep up. */
  maxSendLagMs: number;
}

const pools = new Map<string, Pool>();
const pool = (origin: string) => {
  let p = pools.get(origin);
  if (!p)
    pools.set(
      origin,
      (p = new Pool(origin, {
        connections: 256,
        pipelining: 1,
        keepAliveTimeout: 60_000,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      })),
    );
  return p;
};
const BODY = JSON.stringify(chatBody(false));
const STREAM_BODY = JSON.stringify(chatBody(true));
// A content delta that is not empty: the stub's first chunk carries `"content":""`.
const CONTENT = /"content":\s*"(?!")/;

/** One request; resolves to the time (performance.now) of its answer or first content, or throws. */
async function send(t: Target, stream: boolean): Promise<number> {
  const res = await pool(t.origin).request({
    path: t.path,
    method: 'POST',
    headers: t.headers,
    body: stream ? STREAM_BODY : BODY,
  });
  if (res.statusCode !== 200)
    throw new Error(`${t.name}: HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`);
  if (!stream) {
    await res.body.arrayBuffer();
    return performance.now();
  }
  let first: number | undefined;
  let seen = '';
  for await (const chunk of res.body) {
    if (first !== undefined) continue; // drain the rest so the connection is reused
    seen += (chunk as Buffer).toString('utf8');
    if (CONTENT.test(seen)) first = performance.now();
  }
  if (first === undefined) throw new Error(`${t.name}: the stream ended without content: ${seen.slice(0, 200)}`);
  return first;
}

async function closed(job: Extract<Job, { kind: 'closed' }>): Promise<JobResult> {
  const r: JobResult = { ok: 0, errors: 0, wallMs: 0, latencies: [], maxSendLagMs: 0 };
  const t0 = performance.now();
  const until = job.seconds !== undefined ? t0 + job.seconds * 1000 : Infinity;
  let started = 0;
  const more = () => (job.count !== undefined ? started < job.count : performance.now() < until);
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (more()) {
        started++;
        try {
          await send(job.target, false);
          r.ok++;
        } catch (e) {
          r.errors++;
          r.firstError ??= (e as Error).message;
        }
      }
    }),
  );
  r.wallMs = performance.now() - t0;
  return r;
}

function open(job: Extract<Job, { kind: 'open' }>): Promise<JobResult> {
  const r: JobResult = { ok: 0, errors: 0, wallMs: 0, latencies: [], maxSendLagMs: 0 };
  const total = Math.round(job.rate * job.seconds);
  const gap = 1000 / job.rate;
  const t0 = performance.now() + 5;
  let next = 0;
  let settled = 0;
  return new Promise((resolve) => {
    const done = () => {
      if (++settled < total) return;
      r.wallMs = performance.now() - t0;
      resolve(r);
    };
    const fire = (at: number) => {
      send(job.target, job.stream).then(
        (end) => {
          r.ok++;
          r.latencies.push(end - at);
          done();
        },
        (e: unknown) => {
          r.errors++;
          r.firstError ??= (e as Error).message;
          done();
        },
      );
    };
    // Timers fire late by up to ~1 ms: each tick sends everything that is due, and the lateness
    // stays in the latency because it is measured from the scheduled time.
    const tick = () => {
      const now = performance.now();
      for (; next < total && t0 + next * gap <= now; next++) {
        r.maxSendLagMs = Math.max(r.maxSendLagMs, now - (t0 + next * gap));
        fire(t0 + next * gap);
      }
      if (next < total) setTimeout(tick, Math.max(0, t0 + next * gap - performance.now()));
    };
    setTimeout(tick, 5);
  });
}

process.on('message', (job: Job) => {
  void (job.kind === 'closed' ? closed(job) : open(job)).then((r) => process.send!(r));
});
process.on(
  'disconnect',
  () => void Promise.all([...pools.values()].map((p) => p.close())).finally(() => process.exit(0)),
);
