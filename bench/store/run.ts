/**
 * Bundle store throughput: the local folder store vs the S3 store (on s3rver, a real S3 wire-protocol
 * server started here, on this machine's disk) with the same bundles, in one run.
 *   npm run bench:store [-- --n 20]
 * Rows: a new bundle (upload), the same bundle again (dedupe: no upload), a verified read; median ms per operation.
 * The bundles are incompressible so the size on the wire is the size stated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  LocalBundleStore,
  openBundleStore,
  packFiles,
  type BundleStore,
} from '../../packages/platform/src/store/index.ts';
import { startS3 } from '../../packages/platform/src/store/s3-test-support.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const n = Number(arg('--n') ?? 20);
const step = (s: string) => process.stderr.write(`… ${s}\n`);
const KiB = 1024;
const MiB = 1024 * KiB;

/** `count` bundles of about `bytes` each that differ only in a nonce file (so each put is a new upload). */
async function bundles(bytes: number, count: number) {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4)
    data.writeUInt32LE((Math.imul(i + 1, 2654435761) ^ (i >>> 7)) >>> 0, Math.min(i, bytes - 4));
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      packFiles(
        new Map([
          ['SKILL.md', Buffer.from('# bench\n')],
          ['nonce.txt', Buffer.from(String(i))],
          ['data.bin', data],
        ]),
      ),
    ),
  );
}

interface Row {
  ms: number;
  mibps: number;
}

async function measure(
  store: BundleStore,
  set: Awaited<ReturnType<typeof bundles>>,
): Promise<Record<'put new' | 'put again' | 'get', Row>> {
  const size = set[0]!.size;
  // Median per operation: the machine may be shared, and one slow outlier should not move the row.
  const time = async (fn: (b: (typeof set)[number]) => Promise<unknown>): Promise<Row> => {
    const each: number[] = [];
    for (const b of set) {
      const t = performance.now();
      await fn(b);
      each.push(performance.now() - t);
    }
    each.sort((x, y) => x - y);
    const ms =
      each.length % 2 ? each[(each.length - 1) / 2]! : (each[each.length / 2 - 1]! + each[each.length / 2]!) / 2;
    return { ms, mibps: size / MiB / (ms / 1000) };
  };
  const putNew = await time(async (b) => {
    if (!(await store.put(b.bytes)).created) throw new Error('expected a new bundle');
  });
  const putAgain = await time(async (b) => {
    if ((await store.put(b.bytes)).created) throw new Error('expected a stored bundle');
  });
  const get = await time(async (b) => {
    if ((await store.get(b.digest)).length !== b.size) throw new Error('short read');
  });
  return { 'put new': putNew, 'put again': putAgain, get };
}

const sizes = [
  { label: '64 KiB', bytes: 64 * KiB },
  { label: '8 MiB', bytes: 8 * MiB },
];
const s3 = await startS3(['aspora-bench']);
const localDir = mkdtempSync(join(tmpdir(), 'aspora-bench-store-'));
const rows: Record<string, string | number>[] = [];
try {
  const local = new LocalBundleStore(localDir);
  const remote = await openBundleStore('s3://aspora-bench/bundles', '/unused', { env: s3.env() });
  for (const { label, bytes } of sizes) {
    const count = bytes >= MiB ? Math.max(5, Math.ceil(n / 2)) : n;
    step(`${count} bundles of ${label}: local folder, then S3 (s3rver at ${s3.endpoint})`);
    const set = await bundles(bytes, count);
    const l = await measure(local, set);
    const r = await measure(remote, set);
    for (const op of ['put new', 'put again', 'get'] as const) {
      rows.push({
        bundle: `${label} (${(set[0]!.size / KiB).toFixed(0)} KiB gz)`,
        operation: op,
        'local ms/op': +l[op].ms.toFixed(2),
        'S3 ms/op': +r[op].ms.toFixed(2),
        'local MiB/s': +l[op].mibps.toFixed(1),
        'S3 MiB/s': +r[op].mibps.toFixed(1),
        'S3 / local (time)': +(r[op].ms / l[op].ms).toFixed(1),
      });
    }
  }
  await remote.close?.();
} finally {
  await s3.stop();
  rmSync(localDir, { recursive: true, force: true });
}

console.log(
  `\nBundle store throughput (local folder vs S3 on s3rver, same bundles, ${n} of the small size; one process, loopback)`,
);
console.table(rows);
