/**
 * deploy/: the Grafana dashboard and the Prometheus alerting rules. Checks their structure, that
 * every PromQL expression names only metrics (and labels) the platform exports, and that the four
 * overview panels are there. With promtool it also parses every expression for real
 * (`promtool check rules`) and runs the rules' unit tests (`promtool test rules`); without it those
 * are skipped, or fail under CI=true (tools.ts; .ci/run installs Debian's prometheus package).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SyntaxNode } from '@lezer/common';
import { parser as promql } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import { PlatformMetrics } from '../src/observe/metrics/prometheus-registry.ts';
import { skipUnless, suiteUnless } from './tools.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const DASHBOARD = join(root, 'deploy/grafana/aspora-platform.json');
const RULES = join(root, 'deploy/prometheus/aspora-alerts.yaml');
const RULE_TESTS = join(root, 'deploy/prometheus/aspora-alerts.test.yaml');

// ---------------------------------------------------------------------------------------------
// Every expression is parsed by Prometheus' own PromQL grammar (@prometheus-io/lezer-promql, the
// one Prometheus' UI uses), after Grafana's variables are replaced by plausible values. A syntax
// error — a misspelt function (`rat(x[5m])`) included — fails; from the tree come the metric
// selectors with their matcher labels, the label lists of by/without/on/ignoring/group_left/
// group_right, and the aggregations.

export interface Selector {
  metric: string | undefined;
  labels: string[];
}
export interface ReadExpr {
  selectors: Selector[];
  /** by (…), without (…), on (…), ignoring (…), group_left (…), group_right (…) */
  grouping: { clause: string; labels: string[] }[];
  aggregations: string[];
}

const GRAFANA_VARS: Record<string, string> = {
  __rate_interval: '5m',
  __interval: '1m',
  __range: '1h',
  domain: '.*',
  skill: '.*',
};
/** An expression as Prometheus would get it: Grafana's variables replaced by plausible values. */
const interpolate = (expr: string) =>
  expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a?: string, b?: string) => GRAFANA_VARS[(a ?? b)!] ?? m);

/** A label name as written: bare, or a quoted string (UTF-8 names). */
const labelText = (text: string) =>
  text.startsWith('"')
    ? (JSON.parse(text) as string)
    : text.startsWith("'") || text.startsWith('`')
      ? text.slice(1, -1)
      : text;

export function readPromQL(raw: string): ReadExpr {
  const expr = interpolate(raw);
  const tree = promql.parse(expr);
  const selectors: Selector[] = [];
  const grouping: ReadExpr['grouping'] = [];
  const aggregations: string[] = [];
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  const cursor = tree.cursor();
  do {
    const n = cursor.node;
    if (n.type.isError)
      throw new Error(
        `PromQL syntax error at ${n.from} ("${expr.slice(Math.max(0, n.from - 15), n.from)}⚠${expr.slice(n.from, n.from + 15)}") in: ${expr}`,
      );
    if (n.name === 'VectorSelector') {
      const sel: Selector = { metric: undefined, labels: [] };
      const name = n.getChild('Identifier');
      if (name) sel.metric = text(name);
      for (let m = n.getChild('LabelMatchers')?.firstChild; m; m = m.nextSibling) {
        if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
        const label = labelText(text(m.getChild('LabelName') ?? m.getChild('QuotedLabelName')!));
        if (label !== '__name__') sel.labels.push(label);
        else if (text(m.getChild('MatchOp')!) === '=' && !sel.metric)
          sel.metric = labelText(text(m.getChild('StringLiteral')!));
        else throw new Error(`only one metric name, as __name__="…" or before the braces: ${expr}`);
      }
      selectors.push(sel);
    } else if (n.name === 'GroupingLabels') {
      // The keyword before the list says what it is: by, without, on, ignoring, group_left, group_right.
      const clause = n.prevSibling ? text(n.prevSibling).toLowerCase() : '';
      grouping.push({ clause, labels: n.getChildren('LabelName').map(text) });
    } else if (n.name === 'AggregateOp') {
      aggregations.push(text(n).toLowerCase());
    }
  } while (cursor.next());
  return { selectors, grouping, aggregations };
}

export const metricNames = (expr: string) => [
  ...new Set(readPromQL(expr).selectors.map((s) => s.metric ?? '<no metric>')),
];

// ---------------------------------------------------------------------------------------------

interface Target {
  refId: string;
  expr: string;
  [k: string]: unknown;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { unit?: string }; overrides?: { properties: { id: string; value: unknown }[] }[] };
}
interface Dashboard {
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid: string } }[] };
}
interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; interval?: string; rules: Rule[] }[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const rules = parseYaml(readFileSync(RULES, 'utf8')) as RuleFile;
const allPanels: Panel[] = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = allPanels.filter((p) => p.type !== 'row');
const alerts = rules.groups.flatMap((g) => g.rules);

const metrics = new PlatformMetrics({ defaults: true });
const families = metrics.names();
// What a selector may name: counters and gauges as they are; histograms (and summaries) only
// through their series: _bucket (with le), _sum, _count (and, for summaries, the bare name).
const series = new Map<string, Set<string>>();
const extra = ['job', 'instance'];
for (const m of metrics.registry.getMetricsAsArray()) {
  const type = String((m as { type: unknown }).type);
  const labels = [...((m as unknown as { labelNames?: readonly string[] }).labelNames ?? []), ...extra];
  if (type === 'histogram') {
    series.set(`${m.name}_bucket`, new Set([...labels, 'le']));
    series.set(`${m.name}_sum`, new Set(labels));
    series.set(`${m.name}_count`, new Set(labels));
  } else if (type === 'summary') {
    series.set(m.name, new Set([...labels, 'quantile']));
    series.set(`${m.name}_sum`, new Set(labels));
    series.set(`${m.name}_count`, new Set(labels));
  } else series.set(m.name, new Set(labels));
}

/** The panels under each row, by position (rows are not collapsed: their panels follow them). */
function rows(): Map<string, Panel[]> {
  const out = new Map<string, Panel[]>();
  const sorted = [...dashboard.panels].sort((a, b) => a.gridPos.y - b.gridPos.y || a.gridPos.x - b.gridPos.x);
  let current: Panel[] | undefined;
  for (const p of sorted) {
    if (p.type === 'row') out.set(p.title, (current = [...(p.panels ?? [])]));
    else current?.push(p);
  }
  return out;
}

/** Every PromQL expression of both files, with where it comes from. */
function expressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of queryPanels)
    for (const t of p.targets ?? []) out.push({ where: `panel ${p.id} "${p.title}" ${t.refId}`, expr: t.expr });
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
    const m = /^\s*label_values\(\s*(.+),\s*\w+\s*\)\s*$/s.exec(q) ?? /^\s*query_result\((.+)\)\s*$/s.exec(q);
    assert.ok(m, `variable ${v.name}: unexpected query ${q}`);
    out.push({ where: `variable ${v.name}`, expr: m[1]! });
  }
  for (const r of alerts) out.push({ where: `rule ${r.alert ?? r.record}`, expr: r.expr });
  return out;
}

describe("the PromQL expressions, read with Prometheus' grammar", () => {
  const cases: [string, string[]][] = [
    [
      'sum by (status) (rate(aspora_executions_total{status!="success", domain=~"$domain"}[$__rate_interval]))',
      ['aspora_executions_total'],
    ],
    [
      'histogram_quantile(0.95, sum by (skill, le) (rate(aspora_execution_duration_seconds_bucket[5m])))',
      ['aspora_execution_duration_seconds_bucket'],
    ],
    ['sum(rate(a_total[5m])) by (skill) / on (skill) group_left (domain) b offset 1h > bool 0.5', ['a_total', 'b']],
    ['{__name__="aspora_workers", state="waiting"} > 0 and x @ start()', ['aspora_workers', 'x']],
    ['label_replace(up, "dst", "$1", "instance", "(aspora_fake.*)") or vector(0)', ['up']],
    ['count_values("v", g) unless ignoring(mode) h * 1e-3 + 0x1F - Inf', ['g', 'h']],
    ['max_over_time(rate(c[5m])[1h:1m]) # rate(commented_out[5m])\n / 2', ['c']],
    ['SUM(rate(c[${__rate_interval}])) without (instance) > -.5', ['c']],
    ['sum without (instance) (rate(c[5m])) / sum by(le)(d)', ['c', 'd']],
    ['{domain="fraud"}', ['<no metric>']],
  ];
  for (const [expr, want] of cases) test(expr.replace(/\s+/g, ' '), () => assert.deepEqual(metricNames(expr), want));

  test('collects matcher labels per selector and grouping labels', () => {
    const r = readPromQL('sum by (domain, le) (rate(m_bucket{skill=~"a|b", "domain"!="x"}[5m])) / ignoring(le) n');
    assert.deepEqual(r.selectors, [
      { metric: 'm_bucket', labels: ['skill', 'domain'] },
      { metric: 'n', labels: [] },
    ]);
    assert.deepEqual(r.grouping, [
      { clause: 'by', labels: ['domain', 'le'] },
      { clause: 'ignoring', labels: ['le'] },
    ]);
    assert.deepEqual(r.aggregations, ['sum']);
    assert.deepEqual(readPromQL('a * on (x) group_left b').grouping, [{ clause: 'on', labels: ['x'] }]);
    assert.deepEqual(readPromQL('a * on (x) group_left (y) b').grouping, [
      { clause: 'on', labels: ['x'] },
      { clause: 'group_left', labels: ['y'] },
    ]);
    assert.deepEqual(readPromQL('topk(3, sum without (instance) (a)) or count by (s) (b)').aggregations, [
      'topk',
      'sum',
      'count',
    ]);
  });

  test('refuses what is not PromQL, a misspelt function included', () => {
    for (const bad of [
      'm{skill="unterminated}',
      'm{skill}',
      'sum by skill (m)',
      'rate(m[5m)',
      'rat(c[5m])',
      'sum(rate(c[5m])',
      'a +',
      'm{__name__="x"}',
    ]) {
      assert.throws(() => readPromQL(bad), /PromQL syntax error|only one metric name/, bad);
    }
  });
});

describe('metrics and labels used exist', () => {
  test('the registry is what the deploy files were written against', () => {
    assert.ok(families.includes('aspora_executions_total') && families.includes('aspora_execution_duration_seconds'));
    assert.ok(
      families.some((n) => n.startsWith('aspora_process_')),
      'default process metrics are exported',
    );
    assert.ok(
      series.has('aspora_execution_duration_seconds_bucket') && !series.has('aspora_execution_duration_seconds'),
    );
  });

  const exprs = expressions();
  test('there are expressions to check in both files', () => {
    assert.ok(exprs.filter((e) => e.where.startsWith('panel')).length >= 20);
    assert.ok(exprs.filter((e) => e.where.startsWith('rule')).length >= 8);
  });

  for (const { where, expr } of exprs) {
    test(where, () => {
      const { selectors, grouping } = readPromQL(expr);
      assert.ok(selectors.length > 0, 'names at least one metric');
      const used = new Set<string>();
      for (const s of selectors) {
        assert.ok(s.metric, `a selector without a metric name: ${expr}`);
        const labels = series.get(s.metric);
        if (!labels && series.has(`${s.metric}_bucket`))
          assert.fail(`${s.metric} is a histogram: select ${s.metric}_bucket, _sum or _count`);
        assert.ok(
          labels,
          `${s.metric} is not exported by PlatformMetrics (its series: ${[...series.keys()].filter((f) => !f.startsWith('aspora_process_')).join(', ')}, aspora_process_…)`,
        );
        for (const l of s.labels) assert.ok(labels.has(l), `${s.metric} has no label "${l}"`);
        for (const l of labels) used.add(l);
      }
      for (const l of grouping.flatMap((g) => g.labels))
        assert.ok(
          used.has(l),
          `grouping by "${l}", which none of ${[...new Set(selectors.map((s) => s.metric))].join(', ')} has`,
        );
    });
  }
});

describe('the Grafana dashboard', () => {
  test('is a dashboard with a Prometheus datasource variable and domain/skill variables', () => {
    assert.equal(typeof dashboard.title, 'string');
    assert.equal(dashboard.uid, 'aspora-platform');
    assert.ok(dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
    const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    const ds = vars.get('datasource');
    assert.ok(ds, 'a datasource variable');
    assert.equal(ds.type, 'datasource');
    assert.equal(ds.query, 'prometheus');
    for (const name of ['domain', 'skill']) {
      const v = vars.get(name);
      assert.ok(v, `a ${name} variable`);
      assert.equal(v.type, 'query');
      assert.equal(v.datasource?.uid, '${datasource}');
      assert.match(String(v.query), new RegExp(`^label_values\\(aspora_executions_total(\\{[^}]*\\})?, ${name}\\)$`));
    }
  });

  test('every panel has a unique id, a title, a type and a place on the grid', () => {
    const ids = allPanels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    for (const p of allPanels) {
      assert.ok(Number.isInteger(p.id) && p.id > 0, `id of ${p.title}`);
      assert.ok(typeof p.title === 'string' && p.title.length > 0, `title of panel ${p.id}`);
      assert.ok(['row', 'timeseries', 'stat', 'table'].includes(p.type), `type ${p.type} of ${p.title}`);
      const g = p.gridPos;
      assert.ok(
        [g.h, g.w, g.x, g.y].every((n) => Number.isInteger(n) && n >= 0) && g.h > 0 && g.w > 0,
        `gridPos of ${p.title}`,
      );
      assert.ok(g.x + g.w <= 24, `${p.title} fits in 24 columns`);
    }
  });

  test('panels do not overlap', () => {
    const top = dashboard.panels;
    for (const [i, a] of top.entries())
      for (const b of top.slice(i + 1)) {
        const overlap =
          a.gridPos.x < b.gridPos.x + b.gridPos.w &&
          b.gridPos.x < a.gridPos.x + a.gridPos.w &&
          a.gridPos.y < b.gridPos.y + b.gridPos.h &&
          b.gridPos.y < a.gridPos.y + a.gridPos.h;
        assert.ok(!overlap, `"${a.title}" and "${b.title}" overlap`);
      }
  });

  test('every query panel reads ${datasource} and has PromQL targets with unique refIds', () => {
    for (const p of queryPanels) {
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' }, `datasource of ${p.title}`);
      assert.ok(Array.isArray(p.targets) && p.targets.length > 0, `targets of ${p.title}`);
      for (const t of p.targets) {
        assert.ok(typeof t.refId === 'string' && t.refId.length > 0, `refId in ${p.title}`);
        assert.ok(typeof t.expr === 'string' && t.expr.trim().length > 0, `expr of ${p.title} ${t.refId}`);
      }
      assert.equal(new Set(p.targets.map((t) => t.refId)).size, p.targets.length, `unique refIds in ${p.title}`);
    }
  });

  test('timeseries and stat panels have a unit; tables give units per column', () => {
    const units = new Set(['s', 'percentunit', 'currencyUSD', 'reqps', 'short']);
    for (const p of queryPanels) {
      if (p.type === 'table') {
        const set = (p.fieldConfig?.overrides ?? [])
          .flatMap((o) => o.properties)
          .filter((x) => x.id === 'unit')
          .map((x) => x.value);
        assert.ok(set.length > 0 && set.every((u) => units.has(String(u))), `column units of ${p.title}`);
      } else
        assert.ok(
          units.has(p.fieldConfig?.defaults?.unit ?? ''),
          `unit of ${p.title}: ${p.fieldConfig?.defaults?.unit}`,
        );
    }
  });

  test('rows Platform, Domain and Skill, in that order; Domain filters by $domain, Skill by $domain and $skill', () => {
    const r = rows();
    assert.deepEqual([...r.keys()], ['Platform', 'Domain', 'Skill']);
    for (const p of r.get('Domain')!)
      for (const t of p.targets!) assert.match(t.expr, /domain=~"\$domain"/, `${p.title}`);
    for (const p of r.get('Skill')!)
      for (const t of p.targets!) assert.match(t.expr, /domain=~"\$domain", skill=~"\$skill"/, `${p.title}`);
    for (const p of r.get('Platform')!)
      for (const t of p.targets!) assert.doesNotMatch(t.expr, /\$(domain|skill)\b/, `${p.title} is platform-wide`);
  });

  test('the four overview panels are in the Platform row: executions per second, success rate, model cost, latency', () => {
    const platform = rows().get('Platform')!;
    const find = (re: RegExp) => {
      const p = platform.find((x) => re.test(x.title));
      assert.ok(p, `a Platform panel titled ${re}`);
      return p;
    };
    const volume = find(/^executions per second/i);
    assert.equal(volume.fieldConfig?.defaults?.unit, 'reqps');
    assert.match(
      volume.targets![0]!.expr,
      /^sum by \(status\) \(rate\(aspora_executions_total\[\$__rate_interval\]\)\)$/,
    );

    const success = find(/^success rate/i);
    assert.equal(success.fieldConfig?.defaults?.unit, 'percentunit');
    assert.match(success.targets![0]!.expr, /status="success"/);

    const cost = find(/^model cost/i);
    assert.equal(cost.fieldConfig?.defaults?.unit, 'currencyUSD');
    assert.match(cost.targets![0]!.expr, /rate\(aspora_model_cost_usd_total\[\$__rate_interval\]\)\) \* 3600$/);

    const latency = find(/^execution latency$/i);
    assert.equal(latency.fieldConfig?.defaults?.unit, 's');
    assert.deepEqual(
      latency.targets!.map(
        (t) =>
          /^histogram_quantile\((0\.\d+), sum by \(le\) \(rate\(aspora_execution_duration_seconds_bucket\[\$__rate_interval\]\)\)\)$/.exec(
            t.expr,
          )?.[1],
      ),
      ['0.5', '0.95', '0.99'],
    );
  });

  test('the Skill row has latency p95, cost, error rate and custom metrics per skill', () => {
    const skill = rows().get('Skill')!;
    const exprs = (re: RegExp) => skill.filter((p) => re.test(p.title)).flatMap((p) => p.targets!.map((t) => t.expr));
    assert.ok(exprs(/latency p95 per skill/i).some((e) => /histogram_quantile\(0\.95, sum by \(skill, le\)/.test(e)));
    assert.ok(exprs(/cost per skill/i).some((e) => e.includes('sum by (skill) (rate(aspora_model_cost_usd_total')));
    assert.ok(exprs(/error rate per skill/i).some((e) => e.includes('status!="success"')));
    assert.ok(exprs(/custom skill metrics/i).some((e) => e.includes('aspora_skill_metric{')));
  });
});

describe('the Prometheus alerting rules', () => {
  test('groups of rules, each with alert, expr, for, a severity and a summary and description', () => {
    assert.ok(Array.isArray(rules.groups) && rules.groups.length > 0);
    assert.equal(new Set(rules.groups.map((g) => g.name)).size, rules.groups.length, 'unique group names');
    for (const g of rules.groups) {
      assert.ok(typeof g.name === 'string' && Array.isArray(g.rules) && g.rules.length > 0, `group ${g.name}`);
      for (const r of g.rules) {
        assert.match(r.alert ?? '', /^Aspora[A-Z][A-Za-z0-9]+$/, 'alert name');
        assert.ok(typeof r.expr === 'string' && r.expr.trim(), `expr of ${r.alert}`);
        assert.match(r.for ?? '', /^(\d+[smhdwy])+$/, `for of ${r.alert}`);
        assert.ok(['critical', 'warning', 'info'].includes(r.labels?.severity ?? ''), `severity of ${r.alert}`);
        assert.ok(r.annotations?.summary && r.annotations.description, `summary and description of ${r.alert}`);
      }
    }
    const names = alerts.map((r) => r.alert);
    assert.equal(new Set(names).size, names.length, 'unique alert names');
  });

  test('annotations use only labels the expression keeps', () => {
    for (const r of alerts) {
      // Heuristic: an aggregating expression keeps its by (…) labels; one without keeps them all.
      const scanned = readPromQL(r.expr);
      const kept = new Set(
        scanned.aggregations.length > 0
          ? scanned.grouping.filter((g) => g.clause === 'by').flatMap((g) => g.labels)
          : scanned.selectors.flatMap((x) => [...(series.get(x.metric ?? '') ?? [])]),
      );
      for (const text of Object.values(r.annotations ?? {}))
        for (const [, label] of text.matchAll(/\$labels\.(\w+)/g))
          assert.ok(kept.has(label!), `${r.alert} uses $labels.${label}, which its expr aggregates away`);
    }
  });

  test("the default platform rules and the platform's own are there, with their thresholds", () => {
    const rule = (name: string) => {
      const r = alerts.find((x) => x.alert === name);
      assert.ok(r, `rule ${name}`);
      return r.expr.replace(/\s+/g, ' ').trim();
    };
    assert.match(rule('AsporaHighErrorRate'), /aspora_executions_total\{status!="success"\}\[5m\].*> 0\.05$/);
    assert.match(rule('AsporaModelCostHigh'), /aspora_model_cost_usd_total\[1h\].*> 100$/);
    assert.match(rule('AsporaExecutionLatencyHigh'), /^histogram_quantile\(0\.95, sum by \(le\) .*> 5$/);
    assert.match(rule('AsporaSkillSuccessRateLow'), /\[10m\].*< 0\.95 and on \(domain, skill\)/);
    assert.match(rule('AsporaSkillLatencyHigh'), /^histogram_quantile\(0\.95, sum by \(domain, skill, le\) .*> 5$/);
    assert.match(rule('AsporaSkillBudgetPaused'), /aspora_budget_mode\{mode="paused"\}/);
    assert.match(rule('AsporaSkillBudgetThrottled'), /aspora_budget_mode\{mode="throttled"\}/);
    assert.match(rule('AsporaSpansDropped'), /rate\(aspora_spans_dropped_total\[5m\]\)\) > 0$/);
    assert.match(rule('AsporaNoWorkersAvailable'), /aspora_workers\{state="waiting"\}\) > 0$/);
    assert.equal(alerts.find((r) => r.alert === 'AsporaNoWorkersAvailable')!.for, '5m');
  });
});

describe(
  'promtool',
  suiteUnless(skipUnless('promtool'), () => {
    test('check rules: the alerting rules, and every dashboard query as a recording rule', () => {
      const dir = mkdtempSync(join(tmpdir(), 'aspora-promql-'));
      try {
        const recording = queryPanels.flatMap((p) =>
          p.targets!.map((t) => ({ record: `aspora_dashboard:panel_${p.id}_${t.refId}`, expr: interpolate(t.expr) })),
        );
        const file = join(dir, 'dashboard-rules.json'); // JSON is YAML
        writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: recording }] }));
        const res = spawnSync('promtool', ['check', 'rules', RULES, file], { encoding: 'utf8' });
        assert.equal(res.status, 0, res.stdout + res.stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('test rules: deploy/prometheus/aspora-alerts.test.yaml', () => {
      const res = spawnSync('promtool', ['test', 'rules', RULE_TESTS], { encoding: 'utf8' });
      assert.equal(res.status, 0, res.stdout + res.stderr);
    });
  }),
);
