/** Role rules as configuration: the defaults, a custom section, the invoke rule and what the schema refuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsporaError } from '@aspora/sdk';
import { EMPTY_PLATFORM_FILE, parsePlatformFile } from '../../config/platform-file.ts';
import { PermissionGuard } from './guard.ts';
import { ResourcePolicy } from './resources.ts';
import { DEFAULT_ROLES, mayInvoke, neverReadOf } from './roles.ts';
import { toVisible } from './view.ts';

const runbook = toVisible('/shared/runbooks/lulu-not-confirmed.md')!;

test('a platform file without a roles section has seed 003 manager / field / admin rules', () => {
  assert.deepEqual(EMPTY_PLATFORM_FILE.roles, DEFAULT_ROLES);
  assert.deepEqual(parsePlatformFile('secrets: {}\n', 'p.yaml').roles, DEFAULT_ROLES);
  assert.deepEqual(neverReadOf(DEFAULT_ROLES, 'manager'), [
    { glob: 'shared/runbooks/**', rule: 'roles.manager.never_read: shared/runbooks/**' },
    { glob: 'field/**', rule: 'roles.manager.never_read: field/**' },
  ]);
  assert.deepEqual(neverReadOf(DEFAULT_ROLES, null), []);
  assert.deepEqual(neverReadOf(DEFAULT_ROLES, 'constructor'), [], 'no rule from the prototype');
});

test('a custom roles section changes what a role reads, and replaces the defaults as a whole', () => {
  const { roles } = parsePlatformFile(
    "roles:\n  field:\n    never_read: ['shared/runbooks/escalations/**']\n  manager: {}\n",
    'p.yaml',
  );
  const manager = (r: typeof roles | undefined) =>
    new ResourcePolicy({
      domain: 'ecm',
      role: 'manager',
      shared: ['../shared/'],
      blocked: [],
      ...(r ? { roles: r } : {}),
    });
  const field = new ResourcePolicy({ domain: 'ecm', role: 'field', shared: ['../shared/'], blocked: [], roles });
  assert.equal(manager(undefined).check(runbook).allowed, false, 'by default a manager never reads runbooks');
  assert.deepEqual(manager(roles).check(runbook), { allowed: true }, 'this platform lets it');
  assert.deepEqual(field.check(runbook), { allowed: true });
  assert.deepEqual(field.check(toVisible('/shared/runbooks/escalations/p1.md')!), {
    allowed: false,
    rule: 'roles.field.never_read: shared/runbooks/escalations/**',
  });
});

test('may_invoke: listed roles, *, no rule, and role-less skills', () => {
  const from = (role: string | null) => ({ ref: 'ecm/a', role });
  const to = (role: string | null) => ({ ref: 'ecm/b', role });
  assert.deepEqual(mayInvoke(DEFAULT_ROLES, from('field'), to('field')), { allowed: true });
  assert.deepEqual(mayInvoke(DEFAULT_ROLES, from('field'), to('manager')), {
    allowed: false,
    rule: 'roles.field.may_invoke',
    message: 'ecm/field/a may not invoke ecm/manager/b: roles.field.may_invoke allows field',
  });
  assert.deepEqual(mayInvoke(DEFAULT_ROLES, from('admin'), to('manager')), { allowed: true });
  assert.deepEqual(mayInvoke(DEFAULT_ROLES, from(null), to('manager')), { allowed: true });
  assert.deepEqual(mayInvoke(DEFAULT_ROLES, from('field'), to(null)), { allowed: true });
  assert.deepEqual(mayInvoke(DEFAULT_ROLES, from('analyst'), to('manager')), { allowed: true }, 'an unlisted role');
  const none = mayInvoke({ field: { never_read: [], never_call: [], may_invoke: [] } }, from('field'), to('field'));
  assert.equal(none.allowed, false);
  assert.match((none as { message: string }).message, /allows no role$/);
});

test('the schema refuses globs outside the grammar, paths leaving the domain folder, and bad role names', () => {
  const bad = (yaml: string) =>
    assert.throws(
      () => parsePlatformFile(yaml, 'p.yaml'),
      (e: unknown) => e instanceof AsporaError && e.code === 'CONFIG_INVALID',
      yaml,
    );
  bad("roles:\n  field: { never_read: ['shared/*(a*)b'] }\n");
  bad("roles:\n  field: { never_read: ['shared/{a,b}'] }\n");
  bad("roles:\n  field: { never_read: ['../other/**'] }\n");
  bad("roles:\n  field: { never_read: ['/etc/**'] }\n");
  bad(`roles:\n  field: { never_read: ['${'x'.repeat(600)}'] }\n`);
  bad('roles:\n  Field: { may_invoke: [field] }\n');
  bad('roles:\n  field: { may_invoke: ["field/x"] }\n');
  bad('roles:\n  field: { may_read: [x] }\n');
});

test('never_call withholds a declared API from a role, naming the rule; it must name a declared API', () => {
  const { roles } = parsePlatformFile(
    `secrets: { K: { value: k } }
apis:
  sheets: { base_url: 'https://s.example', methods: { update: { path: /u } } }
roles:
  manager: { never_call: [sheets] }
`,
    'p.yaml',
  );
  const guard = (role: string | null) =>
    new PermissionGuard({
      ref: 'ecm/triage',
      domain: 'ecm',
      role,
      tools: [],
      apis: ['sheets'],
      secrets: [],
      sharedResources: [],
      blockedResources: [],
      webFetchHosts: [],
      roles,
    });
  assert.throws(
    () => guard('manager').api('sheets'),
    (e: unknown) =>
      e instanceof AsporaError &&
      e.code === 'PERMISSION_DENIED' &&
      e.message === 'skill ecm/triage (role manager) may not use api sheets: roles.manager.never_call: sheets',
  );
  assert.doesNotThrow(() => guard('field').api('sheets'));
  assert.doesNotThrow(() => guard(null).api('sheets'));
  assert.throws(
    () => parsePlatformFile('roles:\n  manager: { never_call: [no_such_api] }\n', 'p.yaml'),
    (e: unknown) =>
      e instanceof AsporaError &&
      e.issues.some((i) => i.path === 'roles.manager.never_call' && i.message === 'no api named no_such_api'),
  );
});
