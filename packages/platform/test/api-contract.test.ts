/**
 * The server against its contract: every route the client has, called on a real platform with
 * `checkResponses`, so an answer that strays from @aspora/api's schemas fails here (the shapes
 * were written twice before and drifted).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type AsporaClient } from '@aspora/api/client';
import { routes, type RouteName } from '@aspora/api';
import { bundle, platformOnStub } from './helpers.ts';
import { packFiles } from '../src/store/index.ts';

let env: Awaited<ReturnType<typeof platformOnStub>>;
let c: AsporaClient;
const called = new Set<RouteName>();

before(async () => {
  env = await platformOnStub('contract-token-for-tests-0123');
  const client = createClient({
    url: env.p.url,
    token: 'contract-token-for-tests-0123',
    actor: 'contract-test',
    checkResponses: true,
  });
  // Records which routes the test went through, to check none was left out.
  c = new Proxy(client, {
    get: (t, k) => (typeof k === 'string' && k in routes && called.add(k as RouteName), Reflect.get(t, k)),
  });
});
after(async () => env.cleanup());

test('every route answers within its schemas', async () => {
  const skill = { domain: 'fraud', name: 'contract-check' };
  assert.equal((await c.health()).status, 'ok');
  assert.equal((await c.ready()).status, 'ok');
  const offers = await c.platformOffers();
  assert.ok(Array.isArray(offers.apis) && Array.isArray(offers.secrets));
  const v1 = await c.publishBundle({ body: await bundle({ name: skill.name, version: '1.0.0' }) });
  assert.equal(v1.created, true);
  await c.publishBundle({ body: await bundle({ name: skill.name, version: '1.1.0' }) });
  assert.equal((await c.getBundle({ params: { digest: v1.digest } })).byteLength, v1.size);
  await c.deploy({ params: skill, body: { environment: 'staging', version: '1.0.0' } });
  const d = await c.deploy({ params: skill, body: { environment: 'staging', version: '1.1.0' } });
  assert.equal(d.previousVersion, '1.0.0');
  assert.equal((await c.rollback({ params: skill, body: { environment: 'staging' } })).version, '1.0.0');
  // Releases: a canary beside 1.0.0, listed, promoted; a shadow's report (empty until it runs).
  const canary = await c.deploy({ params: skill, body: { environment: 'staging', version: '1.1.0', canary: 10 } });
  assert.equal(canary.release?.percentage, 10);
  assert.equal(
    (await c.listReleases({ params: skill, query: { environment: 'staging' } })).releases[0]!.status,
    'active',
  );
  assert.equal((await c.promote({ params: skill, body: { environment: 'staging' } })).release?.status, 'promoted');
  await c.deploy({ params: skill, body: { environment: 'staging', version: '1.0.0', canary: 'shadow' } });
  const report = await c.shadowDiff({ params: skill, query: { environment: 'staging' } });
  assert.deepEqual([report.release?.mode, report.summary.runs], ['shadow', 0]);
  assert.equal((await c.rollback({ params: skill, body: { environment: 'staging' } })).release?.status, 'rolled_back');
  assert.equal((await c.listSkills({ query: { domain: 'fraud' } })).skills[0]!.latestVersion, '1.1.0');
  assert.ok((await c.searchSkills({ query: { q: 'block this payment' } })).hits.length >= 1);
  const detail = await c.getSkill({ params: skill });
  assert.equal(detail.deployments.length, 4);
  assert.equal((await c.loadSkill({ params: skill, query: { environment: 'staging' } })).version.version, '1.1.0'); // promoted above

  const run = await c.runSkill({
    params: skill,
    body: { input: { userMessage: 'hi' }, version: '1.1.0', workflowId: 'wf-contract' },
  });
  assert.equal(run.success, true, JSON.stringify(run.error));
  assert.equal((await c.getExecution({ params: { id: run.id } })).id, run.id);
  assert.ok((await c.listExecutions({ params: skill })).executions.some((e) => e.id === run.id));
  assert.deepEqual((await c.listQueue({ query: { status: 'dead' } })).executions, []);
  // The helper's skill has a message trigger only (listed, no next fire); a cron fire by hand is queued.
  const triggers = (await c.listTriggers({ query: { domain: 'fraud' } })).triggers;
  assert.ok(triggers.some((t) => t.type === 'message' && t.nextFire === null));
  await c.fireTrigger({ params: skill, body: { type: 'cron', environment: 'staging' } });
  // The helper's skill has no tests/unit: a run that did not pass (checked against SkillTestRun).
  const t = await c.testSkill({ params: skill, body: { version: '1.1.0' } });
  assert.equal(t.ref, 'fraud/contract-check');
  assert.equal(typeof t.passed, 'boolean');

  assert.equal((await c.getBudget({ params: skill })).mode, 'ok');
  assert.equal((await c.liftBudget({ params: skill, body: { reason: 'contract test' } })).lifted, true);
  assert.ok(Array.isArray((await c.gatewayStats()).rows));
  assert.ok((await c.metrics({ query: { target: 'fraud' } })).figures.executions >= 1);
  const f = await c.addFeedback({ params: { id: run.id }, body: { rating: 2, correction: 'ask first' } });
  assert.equal(f.executionId, run.id);
  assert.equal((await c.listFeedback({ query: { skill: 'fraud/contract-check' } })).feedback.length, 1);
  assert.match(await c.exportFeedback({ params: skill }), /ask first/);
  assert.ok(Array.isArray((await c.listAlerts()).alerts));
  const day = await c.traces({ query: { domain: 'fraud' } });
  assert.ok(day.workflows.some((w) => w.workflowId === 'wf-contract'));
  assert.equal((await c.executionTrace({ params: { id: run.id } })).executionId, run.id);
  assert.ok((await c.logs({ params: skill, query: { since: '1h' } })).lines.some((l) => l.executionId === run.id));
  assert.match(await c.prometheus(), /aspora_/);
  assert.ok((await c.models()).data.length >= 1);
  const chat = await c.chatCompletions({
    body: { model: (await c.models()).data[0]!.id, messages: [{ role: 'user', content: 'hi' }] },
  });
  assert.ok(chat.choices.length >= 1);
  const emb = await c
    .embeddings({ body: { model: 'text-embedding-3-small', input: 'hi' } })
    .catch((e: { code?: string }) => e);
  assert.ok('data' in (emb as object) || typeof (emb as { code?: string }).code === 'string', 'answers or fails typed');
  assert.equal(typeof (await c.openapi()).openapi, 'string');

  // Access: the caller, teams, users and their roles, tokens.
  const me = await c.whoami();
  assert.equal(me.admin, true);
  assert.equal((await c.createTeam({ body: { name: 'contract-team' } })).name, 'contract-team');
  assert.ok((await c.listTeams()).teams.some((t) => t.name === 'contract-team'));
  const u = await c.createUser({ body: { email: 'ann@example.com', team: 'contract-team', role: 'field' } });
  assert.deepEqual(u.teams, [{ team: 'contract-team', role: 'field' }]);
  assert.equal(
    (await c.addMember({ params: { team: 'contract-team' }, body: { email: u.email, role: 'manager' } })).teams[0]!
      .role,
    'manager',
  );
  assert.deepEqual((await c.removeMember({ params: { team: 'contract-team', email: u.email } })).teams, []);
  assert.ok((await c.listUsers()).users.some((x) => x.email === 'ann@example.com'));
  const tok = await c.createToken({ body: { team: 'contract-team', scopes: ['read'], expires: '1d', name: 'ci' } });
  assert.match(tok.token, /^aspora_/);
  assert.ok((await c.listTokens({ query: { all: 'true' } })).tokens.some((t) => t.id === tok.id && !('token' in t)));
  assert.ok((await c.revokeToken({ params: { id: tok.id } })).revokedAt);

  const secret = { team: 'contract-team', name: 'CONTRACT_KEY' };
  assert.equal((await c.setSecret({ params: secret, body: { value: 'v-contract' } })).name, 'CONTRACT_KEY');
  assert.deepEqual(
    (await c.listSecrets({ params: { team: 'contract-team' } })).secrets.map((x) => x.name),
    ['CONTRACT_KEY'],
  );
  assert.equal((await c.removeSecret({ params: secret })).removed, true);

  const shared = await packFiles(new Map([['config/limits.yaml', Buffer.from('max: 3\n')]]));
  const sv = await c.registerSharedResources({ params: { domain: 'fraud' }, query: {}, body: shared.bytes });
  assert.deepEqual([sv.version, sv.digest, sv.created], ['1', shared.digest, true]);
  assert.deepEqual(
    (await c.listSharedResources({ params: { domain: 'fraud' } })).versions.map((v) => v.version),
    ['1'],
  );
  // Messages: one nothing here answers (suggestions), one named (a re-routing), and the stream.
  assert.equal((await c.sendMessage({ body: { text: 'quantum chromodynamics lecture notes' } })).routed, null);
  const named = await c.sendMessage({ body: { text: 'hi', skill: 'fraud/contract-check', environment: 'staging' } });
  assert.equal(named.routed?.stage, 'explicit');
  assert.equal(named.execution?.ref, 'fraud/contract-check');
  const sse = await c.streamMessage({ body: { text: 'hi', skill: 'fraud/contract-check', environment: 'staging' } });
  assert.match(sse, /event: routed[\s\S]*event: answer/);

  // Signature-checked routes: this platform declares no provider or Slack secret (a typed 404: not set up),
  // and the skill has no signed webhook trigger (a typed 401).
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: { code?: string }) => e.code,
    );
  assert.equal(await code(c.pagerDutyWebhook({ body: {} })), 'NOT_FOUND');
  assert.equal(await code(c.datadogWebhook({ body: {} })), 'NOT_FOUND');
  assert.equal(await code(c.skillWebhook({ params: skill, body: { id: 'x', title: 'y' } })), 'UNAUTHORIZED');
  for (const slack of [c.slackCommands, c.slackEvents, c.slackInteractions] as Array<(i: unknown) => Promise<unknown>>)
    assert.ok(['NOT_FOUND', 'UNAUTHORIZED'].includes((await code(slack({ body: new TextEncoder().encode('x=1') })))!));

  // Sealed platform credentials: none declared here, so setting one is refused, typed.
  assert.deepEqual((await c.listPlatformSecrets()).secrets, []);
  assert.equal(await code(c.setPlatformSecret({ params: { name: 'X_KEY' }, body: { value: 'v' } })), 'BAD_REQUEST');
  assert.equal(await code(c.removePlatformSecret({ params: { name: 'X_KEY' } })), 'BAD_REQUEST');

  // A team's state tables: load, list, read.
  const table = { team: 'contract-team', table: 'cases' };
  assert.deepEqual(await c.importStateRows({ params: table, body: { rows: [{ Case: 'c1', Open: true }] } }), {
    inserted: 1,
    removed: 0,
  });
  assert.deepEqual((await c.listStateTables({ params: { team: 'contract-team' } })).tables, [
    { table: 'cases', rows: 1 },
  ]);
  assert.equal((await c.listStateRows({ params: table, query: {} })).rows[0]?.Case, 'c1');

  // The audit log saw what this test did, and its chain holds.
  await new Promise((r) => setTimeout(r, 100)); // entries are written after the answers
  const entries = (await c.audit({ query: { since: '1h' } })).entries;
  for (const action of ['skill.deploy', 'skill.rollback', 'team.create', 'token.create', 'secret.set'])
    assert.ok(
      entries.some((e) => e.action === action),
      `no ${action} in the audit log`,
    );
  assert.ok(!JSON.stringify(entries).includes('v-contract'), 'a secret value in the audit log');
  assert.equal((await c.verifyAudit()).ok, true);

  // followLogs: the past lines arrive first, then the stream stays open until aborted.
  const stop = new AbortController();
  for await (const l of c.followLogs({ params: skill, query: { since: '1h' } }, stop.signal)) {
    assert.equal(l.ref, 'fraud/contract-check');
    stop.abort();
    break;
  }
  assert.deepEqual(
    Object.keys(routes).filter((r) => !called.has(r as RouteName)),
    [],
    'a route of the contract was not exercised',
  );
});
