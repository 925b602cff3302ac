/**
 * Releases: what the traffic split adds to an execution; prints one table.
 *   npm run bench:releases [-- --n 200000 --runs 400]
 * On a real platform (PGlite, the runtime's own sandbox) with one skill and two versions:
 *   - ReleaseRouter.choose with a release in flight and with none (the router's 1 s cache as in
 *     production, so its re-reads of the database are in the figures), each in a loop of --n;
 *   - SkillRuntime.run of a trivial handler with no release and with a 50 % split in flight,
 *     interleaved (--runs each), so the added cost is read against the run it is part of.
 * Target (issue 17): ≤ 50 µs p99 added per execution.
 *
 * Sections: each adds rows to one table; a later part (the analysis's rollback time) appends its
 * own section function to SECTIONS.
 */
import { percentile, round } from '../registry/stats.ts';
import { bundle, tempPlatform } from '../../packages/platform/test/helpers.ts';
import { ReleaseRouter } from '../../packages/platform/src/releases/router.ts';
import { splitKey } from '../../packages/platform/src/releases/split.ts';

const args = process.argv.slice(2);
const num = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const N = num('--n', 200_000);
const RUNS = num('--runs', 400);
const step = (s: string) => process.stderr.write(`… ${s}\n`);

type Row = Record<string, number | string>;
type Table = Record<string, Row>;
const us = (ms: number) => round(ms * 1000, 2);
const stats = (xs: number[]) => ({ 'p50 µs': us(percentile(xs, 50)), 'p99 µs': us(percentile(xs, 99)) });

/** Times each call of `fn` (async), after a warm-up. */
async function loop(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(1000, n); i++) await fn(i);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out[i] = performance.now() - t;
  }
  return out;
}

async function splitSection(table: Table): Promise<void> {
  step('starting a platform (PGlite)');
  const p = await tempPlatform();
  try {
    const handler = 'export const handler = async () => ({ success: true, message: "ok" });\n';
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) await p.publisher.publish(await bundle({ version, handler }));
    const ref = 'fraud/block-transaction';
    const other = 'fraud/no-release';
    await p.publisher.publish(await bundle({ name: 'no-release', version: '1.0.0', handler }));
    await p.publisher.deploy(ref, 'production', '1.0.0', 'bench', { canary: 'off' });
    await p.publisher.deploy(other, 'production', '1.0.0', 'bench');
    await p.releases.deploy(ref, 'production', '1.1.0', { canary: 10 }, 'bench');
    // A router of its own on the platform's store: the runtime's, as built in platform.ts.
    const router = new ReleaseRouter(p.releases.store, 1_000);
    const users = Array.from({ length: 10_000 }, (_, i) => `user${i}@example.com`);
    step(`router.choose × ${N}, with a release in flight and with none`);
    const withRelease = await loop(N, (i) => router.choose(ref, 'production', users[i % users.length]!));
    const none = await loop(N, (i) => router.choose(other, 'production', users[i % users.length]!));
    const key = await loop(N, async (i) => splitKey({ user: { email: users[i % users.length]! } }));
    table['choose, release in flight (split)'] = { ...stats(withRelease), note: '1 s cache; its re-reads included' };
    table['choose, nothing in flight'] = { ...stats(none), note: 'cached null' };
    table['splitKey alone'] = { ...stats(key), note: 'email → key' };
    const miss = await loop(2_000, () => p.releases.store.open(ref, 'production'));
    table['cache miss: the open release read'] = { ...stats(miss), note: 'once a second per skill and process' };

    step(`runtime.run × ${RUNS} each, interleaved: no release, and a 50 % split in flight`);
    await p.releases.rollback(ref, 'production', { actor: 'bench' });
    await p.releases.deploy(ref, 'production', '1.2.0', { canary: 50 }, 'bench');
    const plain: number[] = [];
    const split: number[] = [];
    for (let i = 0; i < 20; i++) {
      await p.runtime.run({ ref: other, input: {}, caller: users[i]! });
      await p.runtime.run({ ref, input: {}, caller: users[i]! });
    }
    for (let i = 0; i < RUNS; i++) {
      const caller = users[i % users.length]!;
      let t = performance.now();
      await p.runtime.run({ ref: other, input: {}, caller });
      plain.push(performance.now() - t);
      t = performance.now();
      await p.runtime.run({ ref, input: {}, caller });
      split.push(performance.now() - t);
    }
    table['run, no release'] = { ...stats(plain), note: 'trivial handler, warm workers' };
    table['run, 50 % split in flight'] = { ...stats(split), note: 'both versions warm' };
    const added = percentile(withRelease, 99);
    table['split added, p99 / run p50'] = {
      'p50 µs': us(percentile(withRelease, 50)),
      'p99 µs': us(added),
      note: `${round((added / percentile(plain, 50)) * 100, 3)} % of a run's p50; target ≤ 50 µs p99`,
    };
  } finally {
    await p.cleanup();
  }
}

/** One function per section; each adds its rows to the table. */
export const SECTIONS: Array<(table: Table) => Promise<void>> = [splitSection];

const table: Table = {};
for (const section of SECTIONS) await section(table);
console.log(`\nreleases: ${N} choices each, ${RUNS} runs each (interleaved); PGlite, in process`);
console.table(table);
