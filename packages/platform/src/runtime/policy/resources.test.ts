/** Shared and blocked resources and seed 003's role rules, with the ECM skills' own declarations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourcePolicy } from './resources.ts';
import { toVisible } from './view.ts';

// As in examples/skills/ecm/{manager/triage-and-assign,field/my-tickets}/aspora.config.yaml (seed 003).
const manager = new ResourcePolicy({
  domain: 'ecm',
  role: 'manager',
  shared: ['../shared/queries/', '../shared/config/', '../shared/guardrails.md', '../shared/runbooks/'],
  blocked: ['../field/**'],
});
const field = new ResourcePolicy({
  domain: 'ecm',
  role: 'field',
  shared: ['../shared/queries/ecm-order-detail-v2.sql', '../shared/runbooks/', '../shared/config/knowledge-graph.yaml', '../shared/guardrails.md'],
  blocked: ['../shared/queries/ecm-pending-list.sql', '../manager/**'],
});
const check = (p: ResourcePolicy, path: string) => p.check(toVisible(path)!);

test('a manager skill reads the shared queries and config, never a runbook — even one it declares', () => {
  assert.deepEqual(check(manager, '../shared/queries/ecm-pending-list.sql'), { allowed: true });
  assert.deepEqual(check(manager, '/shared/config/stuck-reasons.yaml'), { allowed: true });
  assert.deepEqual(check(manager, '/shared/runbooks/lulu-not-confirmed.md'), { allowed: false, rule: 'role manager never reads field runbooks' });
  assert.deepEqual(check(manager, '/shared/runbooks'), { allowed: false, rule: 'role manager never reads field runbooks' }, 'nor list the folder');
});

test('a field skill reads the one query it declares; the manager query it blocks is refused', () => {
  assert.deepEqual(check(field, '../shared/queries/ecm-order-detail-v2.sql'), { allowed: true });
  assert.deepEqual(check(field, '/shared/runbooks/lulu-not-confirmed.md'), { allowed: true });
  assert.deepEqual(check(field, '/shared/queries/ecm-pending-list.sql'), { allowed: false, rule: 'blocked_resources: ../shared/queries/ecm-pending-list.sql' });
  assert.deepEqual(check(field, '/shared/queries/ecm-agent-load.sql'), { allowed: false, rule: 'not in shared_resources' });
  assert.deepEqual(check(field, '/shared/queries/../queries/ecm-pending-list.sql'), { allowed: false, rule: 'blocked_resources: ../shared/queries/ecm-pending-list.sql' }, 'normalised first');
});

test('a skill without a role has only its declarations; blocked wins over shared', () => {
  // fraud/<name>: its parent folder is fraud/, so the domain's shared folder is shared/.
  const p = new ResourcePolicy({ domain: 'fraud', role: null, shared: ['shared/'], blocked: ['shared/secret/**'] });
  assert.deepEqual(check(p, '/shared/rules.yaml'), { allowed: true });
  assert.deepEqual(check(p, '/shared/secret/keys.txt'), { allowed: false, rule: 'blocked_resources: shared/secret/**' });
  assert.deepEqual(check(p, 'DECISIONS.md'), { allowed: true }, 'its own bundle is not a shared resource');
});
