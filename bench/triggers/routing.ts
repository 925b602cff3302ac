/**
 * Message routing against 1,000 deployed skills; prints one table.
 *   npx tsx bench/triggers/routing.ts [-- --skills 1000 --n 500 --vectors sentences|words|off]
 * The registry's synthetic skills (bench/registry/synthetic.ts: descriptions, message patterns,
 * "Do NOT use for" text) deployed on PGlite; messages are their example requests and free text.
 * Without the model step: the router as the platform runs it with no model provider. With it:
 * close candidates go to the gateway's classification model — here the OpenAI stand-in on
 * localhost, so the figure is the platform's own added time plus a loopback round trip, not a
 * provider's latency.
 */
import { percentile, round } from '../registry/stats.ts';
import { makeSkill, rng } from '../registry/synthetic.ts';
import { startOpenAIStub } from '../../tools/openai-stub/src/server.ts';
import { MessagePatterns } from '../../packages/platform/src/messages/patterns.ts';
import { MessageRouter } from '../../packages/platform/src/messages/router.ts';
import { createLogger } from '../../packages/platform/src/observe/logger.ts';
import { tempPlatformForBench } from './platform.ts';

const args = process.argv.slice(2);
const num = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const SKILLS = num('--skills', 1000);
const N = num('--n', 500);
const VECTORS = args.includes('--vectors') ? args[args.indexOf('--vectors') + 1]! : 'sentences';
const step = (s: string) => process.stderr.write(`… ${s}\n`);

const stub = await startOpenAIStub();
stub.behave('*', { reply: '{"skill": null, "reason": "bench"}' });
const p = await tempPlatformForBench({
  ASPORA_MODEL_BASE_URL: stub.url,
  ASPORA_MODEL_API_KEY: 'bench',
  ASPORA_SEARCH_VECTORS: VECTORS,
});
try {
  step(`deploying ${SKILLS} synthetic skills`);
  const rand = rng(7);
  const inputs = Array.from({ length: SKILLS }, (_, i) => makeSkill(i, rand));
  for (const input of inputs) {
    await p.registry.registerVersion(input);
    await p.registry.deploy(`${input.domain}/${input.name}`, 'production', input.version, 'bench');
  }
  const messages = inputs.flatMap((s) => [
    ...(s.search.examples ?? []),
    `help with ${s.search.patterns?.[0] ?? s.name}`,
  ]);
  const log = createLogger('silent');
  const patterns = new MessagePatterns(p.registry.db);
  const visible = () => true;
  const table: Record<string, Record<string, number | string>> = {};
  for (const [label, gateway] of [
    ['without the model step', undefined],
    ['with the model step (stand-in)', p.gateway],
  ] as const) {
    const router = new MessageRouter(p.registry, patterns, gateway, log);
    for (let i = 0; i < 30; i++) await router.route({ text: messages[i]!, environment: 'production', visible });
    const ms: number[] = [];
    const stages: Record<string, number> = {};
    const asked = stub.chatRequests.length;
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = await router.route({ text: messages[(i * 7) % messages.length]!, environment: 'production', visible });
      ms.push(performance.now() - t0);
      const s = r.routed?.stage ?? 'unrouted';
      stages[s] = (stages[s] ?? 0) + 1;
    }
    table[label] = {
      'p50 ms': round(percentile(ms, 50), 2),
      'p99 ms': round(percentile(ms, 99), 2),
      'model calls': stub.chatRequests.length - asked,
      stages: Object.entries(stages)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    };
  }
  console.log(
    `\nmessage routing: ${SKILLS} deployed skills, ${N} messages (PGlite, in process, search vectors: ${VECTORS})`,
  );
  console.table(table);
} finally {
  await p.close();
  await stub.close();
}
