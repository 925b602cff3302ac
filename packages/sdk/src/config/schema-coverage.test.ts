/**
 * Every leaf of the aspora.config.yaml schema is either acted on (by a named module, which must
 * contain the field's key) or on the not-acted-on warning list. A new schema field fails this test
 * until someone classifies it, so the schema can never again promise something silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { SkillConfigSchema } from './schema.ts';
import { DESCRIPTIVE, findNotActedOn, NOT_ACTED_ON, notActedOnWarnings } from './not-acted-on.ts';
import { parseYaml } from '../yaml/locate.ts';
import { defOf } from '../yaml/validate.ts';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

/** Leaf path → the module that acts on it (and, when it reads the value under another name, that name). */
const ACTED_ON: Record<string, { module: string; key?: string }> = {
  'skill.name': { module: 'packages/platform/src/registry/register.ts' },
  'skill.domain': { module: 'packages/platform/src/runtime/policy/resources.ts' },
  'skill.role': { module: 'packages/platform/src/runtime/policy/resources.ts' },
  'skill.version': { module: 'packages/platform/src/registry/register.ts' },
  'skill.description': { module: 'packages/sdk/src/bundle/search-text.ts' },
  'runtime.language': { module: 'packages/platform/src/runtime/prepare.ts' },
  'runtime.entry_point': { module: 'packages/platform/src/runtime/prepare.ts', key: 'entryPoint' },
  'runtime.timeout': { module: 'packages/platform/src/runtime/runtime.ts', key: 'timeoutMs' },
  'runtime.memory': { module: 'packages/platform/src/runtime/pool.ts', key: 'memoryMb' },
  'runtime.cpu': { module: 'packages/platform/src/runtime/sandbox/launch.ts' },
  'model.primary': { module: 'packages/platform/src/runtime/runtime.ts' },
  'model.fallback': { module: 'packages/platform/src/runtime/runtime.ts' },
  'model.temperature': { module: 'packages/platform/src/gateway/gateway.ts' },
  'model.max_tokens': { module: 'packages/platform/src/gateway/gateway.ts' },
  'model.cache_responses': { module: 'packages/platform/src/runtime/runtime.ts' },
  'model.cost_budget.max_per_execution': { module: 'packages/platform/src/gateway/gateway.ts' },
  'model.cost_budget.monthly_limit': { module: 'packages/platform/src/gateway/budget/control.ts' },
  'triggers[message].patterns[]': { module: 'packages/platform/src/registry/search/lexical.ts' },
  'triggers[message].channels[]': { module: 'packages/platform/src/messages/patterns.ts' },
  'triggers[command].patterns[]': { module: 'packages/platform/src/messages/patterns.ts' },
  'triggers[command].channels[]': { module: 'packages/platform/src/messages/patterns.ts' },
  'triggers[cron].schedule': { module: 'packages/platform/src/jobs/cron.ts' },
  'triggers[cron].timezone': { module: 'packages/platform/src/jobs/cron.ts' },
  'triggers[cron].enabled': { module: 'packages/platform/src/jobs/cron.ts' },
  'triggers[cron].missed': { module: 'packages/platform/src/jobs/cron.ts' },
  'triggers[alert].sources[]': { module: 'packages/platform/src/webhooks/dispatch.ts', key: 'alert_sources' },
  'triggers[alert].filters.*': { module: 'packages/platform/src/webhooks/dispatch.ts', key: 'alert_filters' },
  'triggers[alert].secret': { module: 'packages/platform/src/api/routes/webhooks.ts' },
  'triggers[alert].callback': { module: 'packages/platform/src/api/routes/webhooks.ts' },
  'runtime.max_concurrency': { module: 'packages/platform/src/jobs/queue.ts' },
  'permissions.tools[]': { module: 'packages/platform/src/runtime/policy/guard.ts' },
  'permissions.apis[]': { module: 'packages/platform/src/runtime/policy/guard.ts' },
  'permissions.secrets[]': { module: 'packages/platform/src/runtime/policy/guard.ts' },
  'permissions.shared_resources[]': { module: 'packages/platform/src/runtime/policy/resources.ts' },
  'permissions.blocked_resources[]': { module: 'packages/platform/src/runtime/policy/resources.ts' },
  'permissions.shared_resources_version': { module: 'packages/platform/src/shared/link.ts' },
  'permissions.sheets_access.*.read': { module: 'packages/platform/src/state/rules.ts' },
  'permissions.sheets_access.*.write': { module: 'packages/platform/src/state/rules.ts' },
  'monitoring.success_rate_threshold': { module: 'packages/platform/src/observe/alerts/evaluator.ts' },
  'monitoring.latency_p95_threshold': { module: 'packages/platform/src/observe/alerts/evaluator.ts' },
  'monitoring.alert_on_failure': { module: 'packages/platform/src/observe/alerts/evaluator.ts' },
  'monitoring.alert_channels[]': { module: 'packages/platform/src/observe/alerts/evaluator.ts' },
  'monitoring.custom_metrics[].name': { module: 'packages/platform/src/runtime/prepare.ts', key: 'custom_metrics' },
  'monitoring.custom_metrics[].type': { module: 'packages/platform/src/runtime/prepare.ts', key: 'custom_metrics' },
  owner_team: { module: 'packages/platform/src/gateway/budget/control.ts', key: 'ownerTeam' },
  'versioning.shadow_config.compare_tab': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.shadow_config.keys[]': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.shadow_config.max_diff_percentage': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.shadow_config.runs': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.shadow_config.on_pass': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.shadow_config.compare_output': { module: 'packages/platform/src/releases/plan.ts' },
  visibility: { module: 'packages/platform/src/access/skill-access.ts' },
  'versioning.strategy': { module: 'packages/platform/src/publish/publisher.ts' },
  'versioning.canary_percentage': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.canary_strategy': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.steps[]': { module: 'packages/platform/src/releases/plan.ts', key: 'steps' },
  'versioning.monitor': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.rollback_on_error': { module: 'packages/platform/src/releases/controller.ts' },
  'versioning.analysis.window': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.analysis.min_samples': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.analysis.max_success_drop_points': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.analysis.max_p95_increase_percent': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.analysis.max_cost_increase_percent': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.analysis.max_rating_drop': { module: 'packages/platform/src/releases/plan.ts' },
  'versioning.analysis.confidence': { module: 'packages/platform/src/releases/plan.ts' },
};

// --- walking the zod v4 schema ---

/** Leaf paths in the not-acted-on syntax: `a.b`, `[]` for elements, `[kind]` for union members, `*` for record keys. */
function leaves(schema: z.ZodType, at = '', skipKey?: string): string[] {
  const d = defOf(schema);
  switch (d.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'prefault':
    case 'readonly':
      return leaves(d.innerType!, at, skipKey);
    case 'pipe':
      return leaves(d.in!, at, skipKey);
    case 'object':
      return Object.entries(d.shape!).flatMap(([k, v]) => (k === skipKey ? [] : leaves(v, at ? `${at}.${k}` : k)));
    case 'array': {
      const el = defOf(d.element!);
      return ['object', 'union', 'record', 'array'].includes(el.type) ? leaves(d.element!, `${at}[]`) : [`${at}[]`];
    }
    case 'union': {
      if (!d.discriminator) return [at];
      return d.options!.flatMap((o) => {
        const tag = defOf(defOf(o).shape![d.discriminator!]!).values![0];
        return leaves(o, `${at.replace(/\[\]$/, '')}[${String(tag)}]`, d.discriminator);
      });
    }
    case 'record':
      return ['object', 'union'].includes(defOf(d.valueType!).type) ? leaves(d.valueType!, `${at}.*`) : [at];
    default:
      return [at];
  }
}

const allLeaves = leaves(SkillConfigSchema);
const covers = (entry: string, leaf: string) =>
  leaf === entry || leaf.startsWith(`${entry}.`) || leaf.startsWith(`${entry}[`);
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

test('the schema walk finds the leaves it should (a broken walk would make the coverage test vacuous)', () => {
  for (const leaf of [
    'skill.name',
    'runtime.timeout',
    'triggers[cron].schedule',
    'triggers[alert].filters.*',
    'permissions.tools[]',
    'permissions.sheets_access.*.read',
    'versioning.shadow_config.compare_output',
    'monitoring.custom_metrics[].description',
  ]) {
    assert.ok(allLeaves.includes(leaf), `${leaf} not among ${allLeaves.join(', ')}`);
  }
  assert.ok(allLeaves.length > 50, `only ${allLeaves.length} leaves`);
});

test('every leaf of the config schema is acted on by a named module, descriptive, or warned about as not acted on yet', () => {
  const unclassified: string[] = [];
  for (const leaf of allLeaves) {
    const acted = ACTED_ON[leaf];
    // A value-conditional entry (the Glob tool, s3:// globs) covers some values only: the field itself must be acted on.
    const warned = NOT_ACTED_ON.some((e) => !e.when && covers(e.path, leaf));
    const descriptive = DESCRIPTIVE.some((e) => e.path === leaf);
    if ([acted, warned, descriptive].filter(Boolean).length !== 1)
      unclassified.push(`${leaf}${acted && warned ? ' (both acted on and warned about)' : ''}`);
  }
  assert.deepEqual(
    unclassified,
    [],
    'classify each field: add it to ACTED_ON with the module that reads it, or to NOT_ACTED_ON in not-acted-on.ts',
  );
});

test('each acted-on module exists and contains the key of the field it acts on', () => {
  for (const [leaf, { module, key }] of Object.entries(ACTED_ON)) {
    assert.ok(allLeaves.includes(leaf), `${leaf} is listed as acted on but is no field of the schema`);
    const last =
      key ??
      leaf
        .replace(/\[[^\]]*\]/g, '')
        .split('.')
        .pop()!;
    const src = readFileSync(`${repo}${module}`, 'utf8');
    const word = (w: string) => new RegExp(`\\b${w}\\b`).test(src);
    assert.ok(word(last) || word(camel(last)), `${module} does not mention ${last}: does it still act on ${leaf}?`);
  }
});

test('each not-acted-on entry names a field of the schema, and value-conditional ones name a field that is acted on', () => {
  for (const e of NOT_ACTED_ON) {
    assert.ok(
      allLeaves.some((l) => covers(e.path, l)),
      `${e.path} matches no schema field`,
    );
    if (e.when)
      assert.ok(
        ACTED_ON[e.path],
        `${e.path} is warned about for some values only, so it must be acted on for the others`,
      );
  }
});

test('a config that sets not-acted-on fields gets one warning each, at the line and column of the field', () => {
  const text = `skill:
  name: s
  domain: d
  version: 1.0.0
  description: x
runtime:
  language: typescript
  entry_point: h.ts
triggers:
  - type: message
    patterns: [hi]
    channels: [slack]
  - type: cron
    schedule: "0 7 * * *"
permissions:
  tools: [Read, Glob]
  shared_resources: [../shared/, "s3://bucket/x/**"]
cost_center: ops
owner_team: t
`;
  const w = notActedOnWarnings(parseYaml(text, 'aspora.config.yaml'), 'aspora.config.yaml');
  const brief = w.map((i) => `${i.line}:${i.column} ${i.message}`);
  assert.deepEqual(brief, [
    '16:17 accepted, not acted on yet: permissions.tools[1] ("Glob")',
    '17:34 accepted, not acted on yet: permissions.shared_resources[1] ("s3://bucket/x/**")',
    '18:1 accepted, not acted on yet: cost_center',
  ]);
  assert.ok(w.every((i) => i.file === 'aspora.config.yaml' && i.hint && i.path));
});

test('command triggers and a trigger’s channels are acted on (message routing): no warning', () => {
  const config = {
    triggers: [
      { type: 'command', patterns: ['@ecm-manager assign'], channels: ['slack'] },
      { type: 'message', patterns: ['assign tickets'], channels: ['slack', 'web'] },
    ],
  };
  assert.deepEqual(findNotActedOn(config), []);
});

test('defaults the platform fills in are not warned about: only what the config sets', () => {
  assert.deepEqual(findNotActedOn({ skill: {}, runtime: {}, owner_team: 't' }), []);
  const parsed = SkillConfigSchema.parse({
    skill: { name: 'a', domain: 'b', version: '1.0.0', description: 'x' },
    runtime: { language: 'go', entry_point: 'main.go' },
    versioning: {},
    owner_team: 't',
  });
  assert.equal(parsed.visibility, 'internal');
  assert.deepEqual(findNotActedOn({ versioning: {}, owner_team: 't' }), []);
});

test('docs/skill-format.md marks every not-acted-on field', () => {
  const doc = readFileSync(`${repo}docs/skill-format.md`, 'utf8');
  for (const e of NOT_ACTED_ON)
    assert.ok(doc.includes(`| \`${e.path}\``), `docs/skill-format.md has no row for ${e.path}`);
});
