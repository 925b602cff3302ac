/**
 * Synthetic registry benchmark: N varied skills across ~20 domains and ~5 roles, then
 * deploy throughput, lexical search latency and list-by-domain latency.
 *   run through bench/registry/run.ts (npm run bench:registry)
 */
import { createHash } from 'node:crypto';
import type { Db } from '../../packages/platform/src/db/index.ts';
import { migrate } from '../../packages/platform/src/db/migrate.ts';
import { SkillRegistry } from '../../packages/platform/src/registry/skill-registry.ts';
import type { RegisterVersionInput } from '../../packages/platform/src/registry/types.ts';
import { percentile, round } from './stats.ts';

export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
}

const DOMAINS: Record<string, string[]> = {
  fraud: ['transaction', 'card', 'merchant', 'chargeback', 'velocity', 'device', 'alert', 'score'],
  payments: ['payment', 'transfer', 'payout', 'invoice', 'settlement', 'wallet', 'currency', 'fee'],
  ecm: ['order', 'ticket', 'queue', 'assignment', 'runbook', 'escalation', 'sla', 'agent'],
  support: ['customer', 'complaint', 'refund', 'conversation', 'macro', 'satisfaction', 'callback', 'case'],
  retention: ['churn', 'cohort', 'offer', 'winback', 'subscription', 'loyalty', 'campaign', 'segment'],
  wealth: ['portfolio', 'fund', 'allocation', 'rebalance', 'dividend', 'holding', 'statement', 'advisor'],
  ops: ['incident', 'deployment', 'pod', 'cluster', 'latency', 'outage', 'pager', 'capacity'],
  compliance: ['sanction', 'screening', 'audit', 'policy', 'regulator', 'report', 'control', 'evidence'],
  kyc: ['identity', 'document', 'passport', 'selfie', 'address', 'verification', 'onboarding', 'risk'],
  lending: ['loan', 'repayment', 'credit', 'collateral', 'underwriting', 'arrears', 'limit', 'application'],
  treasury: ['liquidity', 'fx', 'hedge', 'cash', 'forecast', 'bank', 'reconciliation', 'position'],
  marketing: ['email', 'audience', 'creative', 'budget', 'attribution', 'landing', 'newsletter', 'promo'],
  growth: ['referral', 'signup', 'funnel', 'activation', 'experiment', 'conversion', 'invite', 'reward'],
  hr: ['employee', 'leave', 'payroll', 'onboarding', 'review', 'benefit', 'hiring', 'interview'],
  finance: ['expense', 'budget', 'ledger', 'journal', 'accrual', 'close', 'vendor', 'receipt'],
  legal: ['contract', 'clause', 'nda', 'signature', 'dispute', 'counsel', 'filing', 'template'],
  security: ['access', 'credential', 'phishing', 'vulnerability', 'token', 'secret', 'firewall', 'breach'],
  data: ['pipeline', 'table', 'dashboard', 'metric', 'query', 'warehouse', 'schema', 'freshness'],
  infra: ['database', 'backup', 'certificate', 'dns', 'queue', 'storage', 'network', 'cost'],
  sales: ['lead', 'deal', 'quote', 'pipeline', 'territory', 'forecast', 'account', 'demo'],
};
const ROLES = ['manager', 'field', 'admin', 'analyst', 'agent'];
const VERBS = [
  'block',
  'review',
  'approve',
  'summarise',
  'escalate',
  'assign',
  'triage',
  'reconcile',
  'monitor',
  'flag',
  'resolve',
  'report',
  'forecast',
  'audit',
  'notify',
  'schedule',
  'cancel',
  'update',
  'explain',
  'compare',
];
const ADJ = [
  'suspicious',
  'stuck',
  'late',
  'urgent',
  'daily',
  'failed',
  'duplicate',
  'high-value',
  'pending',
  'weekly',
];
const SYSTEMS = ['Redshift', 'Google Sheets', 'Slack', 'Salesforce', 'Zendesk', 'Jira', 'Snowflake', 'PagerDuty'];

export function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const domains = Object.keys(DOMAINS);

export function makeSkill(i: number, rand: () => number): RegisterVersionInput {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const domain = domains[i % domains.length]!;
  const nouns = DOMAINS[domain]!;
  const verb = pick(VERBS);
  const noun = pick(nouns);
  const noun2 = pick(nouns);
  const adj = pick(ADJ);
  const name = `${verb}-${noun}-${i}`;
  const other = pick(DOMAINS[pick(domains)]!);
  const description = `${verb[0]!.toUpperCase()}${verb.slice(1)}s ${adj} ${noun} and ${noun2} records for the ${domain} team using ${pick(SYSTEMS)}. Use when someone asks to ${verb} a ${noun} or check ${noun2} status.`;
  const negative = rand() < 0.5 ? `Do NOT use for ${other} requests.` : '';
  const patterns = [`${verb} ${noun}`, `${adj} ${noun}`, `${noun2} ${pick(['status', 'issue', 'summary', 'report'])}`];
  const examples = [
    `can you ${verb} the ${adj} ${noun} from yesterday`,
    `what is the ${noun2} status for this ${noun}`,
  ];
  const digest = `sha256:${createHash('sha256').update(`${name}@1.0.0`).digest('hex')}`;
  return {
    domain,
    name,
    role: pick(ROLES),
    version: '1.0.0',
    description: `${description} ${negative}`.trim(),
    ownerTeam: `${domain}-team`,
    visibility: 'internal',
    costCenter: domain,
    runtime: { language: 'typescript', entryPoint: 'code/handler.ts', timeoutMs: 30_000, memoryMb: 512, cpu: 0.5 },
    model: {
      primary: 'claude-sonnet-4-5',
      fallback: 'gpt-4o-mini',
      temperature: 0.3,
      maxTokens: 4096,
      maxCostPerExecution: 0.1,
      monthlyLimit: 500,
    },
    config: { skill: { domain, name, version: '1.0.0', description } },
    frontmatter: { name, description },
    search: { name, description, negative, patterns, examples },
    triggers: [
      { type: 'message', patterns },
      ...(rand() < 0.2 ? [{ type: 'cron' as const, schedule: '0 7 * * *' }] : []),
    ],
    permissions: [
      { kind: 'tool', value: 'Read' },
      { kind: 'api', value: `${domain}_api` },
      { kind: 'secret', value: `${domain.toUpperCase()}_TOKEN` },
    ],
    bundle: { digest, size: 4096 + i, fileCount: 6 },
    actor: 'bench',
  };
}

export function makeQuery(rand: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const nouns = DOMAINS[pick(domains)]!;
  const forms = [
    () => `${pick(VERBS)} the ${pick(ADJ)} ${pick(nouns)}`,
    () => `${pick(nouns)} ${pick(['status', 'issue', 'report'])}`,
    () => `can you ${pick(VERBS)} this ${pick(nouns)} for me`,
    () => `${pick(ADJ)} ${pick(nouns)} ${pick(nouns)}`,
  ];
  return pick(forms)();
}

const pct = percentile;
const r2 = (x: number) => round(x);

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

export async function benchRegistrySynthetic(
  db: Db,
  {
    skills = 10_000,
    queries = 1_000,
    concurrency = 8,
  }: { skills?: number; queries?: number; concurrency?: number } = {},
): Promise<BenchRow[]> {
  await migrate(db);
  const reg = new SkillRegistry(db, { logger: { warn() {}, info() {} } });
  const rand = rng(42);
  const inputs = Array.from({ length: skills }, (_, i) => makeSkill(i, rand));

  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < inputs.length) {
        const input = inputs[next++]!;
        await reg.registerVersion(input);
        await reg.deploy(`${input.domain}/${input.name}`, 'production', input.version, 'bench');
      }
    }),
  );
  const deploySeconds = (performance.now() - t0) / 1000;
  // Steady state after a bulk load: statistics fresh, GIN pending lists merged (autovacuum's job in production).
  await db.query('VACUUM ANALYZE');

  const qrand = rng(7);
  const qs = Array.from({ length: queries }, () => makeQuery(qrand));
  for (const q of qs.slice(0, 50)) await reg.searchSkills(q); // warm-up (plans, caches)
  const search = await timed(queries, (i) => reg.searchSkills(qs[i]!));
  const searchFiltered = await timed(queries, (i) =>
    reg.searchSkills(qs[i]!, { domain: domains[i % domains.length]!, role: ROLES[i % ROLES.length]! }),
  );
  const list = await timed(200, (i) => reg.listSkills({ domain: domains[i % domains.length]!, limit: 100 }));

  return [
    { metric: 'skills', value: skills, unit: '' },
    { metric: 'register+deploy throughput', value: r2(skills / deploySeconds), unit: 'skills/s' },
    { metric: 'search p50', value: r2(pct(search, 50)), unit: 'ms' },
    { metric: 'search p99', value: r2(pct(search, 99)), unit: 'ms' },
    { metric: 'search domain+role p50', value: r2(pct(searchFiltered, 50)), unit: 'ms' },
    { metric: 'search domain+role p99', value: r2(pct(searchFiltered, 99)), unit: 'ms' },
    { metric: 'list-by-domain p99', value: r2(pct(list, 99)), unit: 'ms' },
  ];
}
