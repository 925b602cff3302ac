/**
 * The gateway's SSE metering, per chunk: SseMeter (eventsource-parser, which frames LF, CRLF and
 * CR) against the SseMeter it replaced (LF-only splitting; taken from git at BEFORE), on the same
 * streams, alternating rounds in one run. Both parse each event's JSON to meter it, hold events
 * until the first token and hide the usage chunk; the difference is the framing.
 * `npx tsx bench/gateway/sse-parse.ts [streams]`
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SseMeter } from '../../packages/platform/src/gateway/sse.ts';

/** The last commit with the home-made splitter. */
const BEFORE = 'fdfc9de';
const root = fileURLToPath(new URL('../../', import.meta.url));
const oldSource = execFileSync('git', ['show', `${BEFORE}:packages/platform/src/gateway/sse.ts`], {
  cwd: root,
  encoding: 'utf8',
}).replace("'./transport.ts'", JSON.stringify(join(root, 'packages/platform/src/gateway/transport.ts')));
const dir = mkdtempSync(join(tmpdir(), 'aspora-sse-bench-'));
writeFileSync(join(dir, 'sse-before.ts'), oldSource);
const { SseMeter: SseMeterBefore } = (await import(join(dir, 'sse-before.ts'))) as { SseMeter: typeof SseMeter };
rmSync(dir, { recursive: true, force: true });

// One stream as the stub (and OpenAI) sends it: a role chunk, 60 content chunks, the finish, usage, [DONE]; one event a read.
const head =
  '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1735689600,"model":"openai/gpt-4o-mini","choices":';
const ev = (delta: unknown, finish: string | null = null) =>
  `data: ${head}[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish ? `"${finish}"` : 'null'}}],"usage":null}\n\n`;
const events = [
  ev({ role: 'assistant', content: '' }),
  ...Array.from({ length: 60 }, (_, i) => ev({ content: ` word${i}` })),
  ev({}, 'stop'),
  `data: ${head}[],"usage":{"prompt_tokens":9,"completion_tokens":60,"total_tokens":69}}\n\n`,
  'data: [DONE]\n\n',
];
const reads = events.map((e) => Buffer.from(e));

async function* source(): AsyncGenerator<Buffer> {
  for (const r of reads) yield r;
}

async function meterStream(): Promise<void> {
  const m = new SseMeter(source(), { keepUsage: false });
  await m.firstToken();
  for await (const _ of m.chunks()) void _;
}

async function beforeStream(): Promise<void> {
  const m = new SseMeterBefore(source(), { keepUsage: false });
  await m.firstToken();
  for await (const _ of m.chunks()) void _;
}

async function time(fn: () => Promise<void>, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return performance.now() - t0;
}

const streams = Number(process.argv[2] ?? 2000);
await time(meterStream, 200);
await time(beforeStream, 200);
let newMs = 0;
let oldMs = 0;
for (let round = 0; round < 5; round++) {
  oldMs += await time(beforeStream, streams / 5);
  newMs += await time(meterStream, streams / 5);
}
const perChunk = (ms: number) => ((ms * 1000) / (streams * reads.length)).toFixed(2);
console.log(`${streams} streams of ${reads.length} reads each`);
console.log(`SseMeter before (LF only): ${perChunk(oldMs)} µs a chunk`);
console.log(`SseMeter (eventsource-parser): ${perChunk(newMs)} µs a chunk`);
console.log(`ratio new/old: ${(newMs / oldMs).toFixed(2)}`);
