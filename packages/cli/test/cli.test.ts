/**
 * The CLI from the outside: a real `aspora up` process on a free port with a temp data folder,
 * and `aspora` commands run as a user would, checking exit codes, stdout JSON and stderr messages.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from '../src/main.ts';

const BIN = fileURLToPath(new URL('../bin/aspora.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'aspora-cli-'));
chmodSync(work, 0o755); // the sandbox user reads bundles under the data folder
let server: ChildProcess;
let url = '';
// `aspora up` logs the CLI in: into this test's own credentials file, not the user's.
const CONFIG = { ASPORA_CONFIG_DIR: join(work, 'config') };

function aspora(args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    ...(input !== undefined ? { input } : {}),
    cwd: work,
    env: { ...process.env, ...CONFIG, ASPORA_URL: url, ASPORA_LOG_LEVEL: 'silent', NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

before(async () => {
  server = spawn(process.execPath, [BIN, 'up', '--port', '0', '--data-dir', join(work, '.aspora'), '--json'], {
    cwd: work,
    env: { ...process.env, ...CONFIG, ASPORA_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  server.stderr!.on('data', (d) => (err += d));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aspora up did not start in 60 s:\n${err}`)), 60_000);
    server.stdout!.on('data', (d) => {
      out += d;
      try {
        const info = JSON.parse(out);
        clearTimeout(timer);
        resolve(info.url);
      } catch {
        /* not complete yet */
      }
    });
    server.once('exit', (code) => reject(new Error(`aspora up exited ${code}:\n${err}`)));
  });
});

after(async () => {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(work, { recursive: true, force: true });
});

describe('aspora up', () => {
  test('deploys the example skills', () => {
    const r = aspora(['list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const refs = r.json().skills.map((s: { ref: string }) => s.ref);
    for (const ref of ['fraud/block-transaction', 'ecm/triage-and-assign', 'ecm/my-tickets', 'wealth/fx-timing'])
      assert.ok(refs.includes(ref), ref);
    const prod = r.json().skills.find((s: { ref: string }) => s.ref === 'fraud/block-transaction');
    assert.equal(prod.environments.production, '1.0.0');
  });
});

describe('the tour: create → validate → deploy → list → search → show → rollback', () => {
  test('create scaffolds skills in all three languages and with a role', () => {
    for (const [ref, lang, entry] of [
      ['fraud/refund-check', 'typescript', 'code/handler.ts'],
      ['fraud/py-skill', 'python', 'code/handler.py'],
      ['fraud/go-skill', 'go', 'code/handler.go'],
      ['ecm/field/shift-summary', 'typescript', 'code/handler.ts'],
    ] as const) {
      const r = aspora(['create', 'skill', ref, '--lang', lang]);
      assert.equal(r.code, 0, r.stderr);
      const dir = join(work, 'skills', ...ref.split('/'));
      assert.ok(existsSync(join(dir, entry)), `${ref} ${entry}`);
      for (const f of ['SKILL.md', 'DECISIONS.md', 'GUARDRAILS.md', 'aspora.config.yaml'])
        assert.ok(existsSync(join(dir, f)));
      const cfg = readFileSync(join(dir, 'aspora.config.yaml'), 'utf8');
      assert.match(cfg, /^# yaml-language-server: \$schema=.*aspora\.config\.schema\.json\n/);
      const schemaPath = cfg.split('\n')[0]!.split('$schema=')[1]!;
      assert.ok(existsSync(join(dir, schemaPath)), 'the $schema path resolves from the skill folder');
    }
    assert.match(readFileSync(join(work, 'skills/ecm/field/shift-summary/aspora.config.yaml'), 'utf8'), /role: field/);
    const again = aspora(['create', 'skill', 'fraud/refund-check']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
  });

  test('validate accepts what create made, in every language', () => {
    for (const d of [
      'skills/fraud/refund-check',
      'skills/fraud/py-skill',
      'skills/fraud/go-skill',
      'skills/ecm/field/shift-summary',
    ]) {
      const r = aspora(['validate', d]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /is valid/);
    }
  });

  test('validate reports a broken config with file:line and exits 1', () => {
    const dir = join(work, 'skills/fraud/py-skill');
    const cfgPath = join(dir, 'aspora.config.yaml');
    const good = readFileSync(cfgPath, 'utf8');
    writeFileSync(
      cfgPath,
      good.replace('language: python', 'language: pyhton').replace('timeout: 30s', 'timeout: soon'),
    );
    const r = aspora(['validate', 'skills/fraud/py-skill']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /skills\/fraud\/py-skill\/aspora\.config\.yaml:\d+:\d+ runtime\.language: "pyhton" is not allowed/,
    );
    assert.match(r.stderr, /did you mean "python"/);
    assert.match(r.stderr, /runtime\.timeout/);
    const j = aspora(['validate', 'skills/fraud/py-skill', '--json']);
    assert.equal(j.code, 1);
    assert.equal(j.json().valid, false);
    assert.equal(j.json().results[0].issues.length, 2);
    const deploy = aspora(['deploy', 'skills/fraud/py-skill', '--env', 'staging']);
    assert.equal(deploy.code, 1);
    assert.match(deploy.stderr, /nothing was deployed/);
    writeFileSync(cfgPath, good);
  });

  test('deploy to staging, then production; a second deploy of the same content is a no-op', () => {
    const s = aspora(['deploy', 'skills/fraud/refund-check', '--env', 'staging', '--json']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.json().bundle.created, true);
    assert.equal(s.json().deployment.environment, 'staging');
    assert.match(s.stderr, /validated fraud\/refund-check@0\.1\.0/);
    const p = aspora(['deploy', 'skills/fraud/refund-check', '--env', 'production', '--json']);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.json().bundle.created, false);
    assert.equal(p.json().deployment.version, '0.1.0');
  });

  test('promote by reference deploys what staging runs', () => {
    const dir = join(work, 'skills/fraud/refund-check');
    const cfgPath = join(dir, 'aspora.config.yaml');
    writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replace('version: 0.1.0', 'version: 0.2.0'));
    assert.equal(aspora(['deploy', 'skills/fraud/refund-check']).code, 0);
    const r = aspora(['deploy', 'fraud/refund-check', '--env', 'production', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json().deployment.version, '0.2.0');
    assert.equal(r.json().deployment.previousVersion, '0.1.0');
    const pinned = aspora(['deploy', 'fraud/refund-check@0.1.0', '--env', 'staging', '--json']);
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.equal(pinned.json().deployment.version, '0.1.0');
    assert.equal(aspora(['deploy', 'fraud/refund-check@0.2.0', '--env', 'staging']).code, 0);
  });

  test('changing content without bumping the version is refused', () => {
    const dir = join(work, 'skills/fraud/refund-check');
    writeFileSync(join(dir, 'assets/note.txt'), 'new content');
    const r = aspora(['deploy', 'skills/fraud/refund-check']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already registered with different content/);
    assert.match(r.stderr, /bump skill\.version/);
    rmSync(join(dir, 'assets/note.txt'));
  });

  test('list by domain and role', () => {
    const r = aspora(['list', '--domain', 'ecm', '--role', 'field', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const refs = r
      .json()
      .skills.map((s: { ref: string }) => s.ref)
      .sort();
    assert.deepEqual(refs, ['ecm/escalate-ticket', 'ecm/my-tickets', 'ecm/order-details', 'ecm/resolve-ticket']);
    const human = aspora(['list', '--domain', 'ecm', '--role', 'field']);
    assert.match(human.stdout, /ecm\/my-tickets/);
  });

  test('search finds block-transaction for a paraphrase and explains why', () => {
    const r = aspora(['search', 'block a suspicious payment', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const top = r.json().hits[0];
    assert.equal(top.skill.ref, 'fraud/block-transaction');
    assert.ok(top.why.length > 0);
    const human = aspora(['search', 'block', 'a', 'suspicious', 'payment']);
    assert.match(human.stdout, /1\. fraud\/block-transaction/);
    assert.match(human.stdout, /why:/);
  });

  test('show prints versions, environments, triggers and permissions', () => {
    const r = aspora(['show', 'fraud/block-transaction']);
    assert.equal(r.code, 0, r.stderr);
    for (const s of ['Environments', 'production  1.0.0', 'Triggers', 'message', 'cron', 'Permissions', 'TRM_API_KEY'])
      assert.ok(r.stdout.includes(s), s);
    const role = aspora(['show', 'ecm/field/my-tickets', '--json']);
    assert.equal(role.code, 0, role.stderr);
    assert.equal(role.json().role, 'field');
  });

  test('rollback moves production back', () => {
    const r = aspora(['rollback', 'fraud/refund-check', '--env', 'production', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json().version, '0.1.0');
    const again = aspora(['rollback', 'fraud/refund-check', '--env', 'production']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /NOTHING_TO_ROLL_BACK/);
  });
});

describe('releases: deploy --canary, show, releases, promote, rollback', () => {
  test('a canary beside production: shown, listed side by side, promoted', () => {
    const d = aspora([
      'deploy',
      'fraud/refund-check@0.2.0',
      '--env',
      'production',
      '--canary',
      '10',
      '--steps',
      '10,50,100',
      '--monitor',
      '48h',
      '--json',
    ]);
    assert.equal(d.code, 0, d.stderr);
    const release = d.json().deployment.release;
    assert.deepEqual([release.percentage, release.steps, release.status], [10, [10, 50, 100], 'active']);
    assert.equal(d.json().deployment.version, '0.1.0', 'production still names stable');
    const show = aspora(['show', 'fraud/refund-check']);
    assert.match(show.stdout, /production {2}0\.1\.0 {2}\+ canary 0\.2\.0 at 10% \(release #\d+, active/);
    const human = aspora(['releases', 'fraud/refund-check']);
    assert.equal(human.code, 0, human.stderr);
    for (const s of [
      /split {2}active {2}0\.1\.0 → 0\.2\.0/,
      /\[10%\] → 50% → 100%/,
      /stable 0\.1\.0 +90%/,
      /canary 0\.2\.0 +10%/,
      /start +deploy --canary 10/,
    ])
      assert.match(human.stdout, s);
    const run = aspora(['run', 'fraud/refund-check', '--env', 'production', '-m', 'refund order 1']);
    assert.match(run.stderr, /fraud\/refund-check@0\.[12]\.0 \((stable|canary), release #\d+\)/);
    const listed = aspora(['releases', 'fraud/refund-check', '--env', 'production', '--json']);
    assert.equal(listed.json().releases[0].status, 'active');
    const p = aspora(['promote', 'fraud/refund-check', '--json']);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual([p.json().version, p.json().release.status], ['0.2.0', 'promoted']);
    const none = aspora(['promote', 'fraud/refund-check']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /NO_RELEASE/);
  });

  test('rollback with a canary in flight ends it and says which version serves', () => {
    const d = aspora(['deploy', 'fraud/refund-check@0.1.0', '--env', 'production', '--canary', '25']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stderr, /0\.1\.0 takes 25% beside 0\.2\.0/);
    const busy = aspora(['deploy', 'fraud/refund-check@0.1.0', '--env', 'production']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /RELEASE_IN_FLIGHT/);
    const r = aspora(['rollback', 'fraud/refund-check', '--env', 'production']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /release #\d+ of fraud\/refund-check rolled back: 0\.2\.0 serves everything/);
    const bad = aspora(['deploy', 'fraud/refund-check@0.1.0', '--env', 'production', '--canary', '150']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /a share of 1–99, shadow or off/);
  });
});

describe('running skills: run, execution, test', () => {
  const TX = JSON.stringify({ userMessage: 'block payment tx_123', metadata: { transactionId: 'tx_123' } });

  test('aspora run returns the SkillResult and an execution id (the example APIs answer)', () => {
    const r = aspora(['run', 'fraud/block-transaction', '--input', TX, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const e = r.json();
    assert.deepEqual(e.result, {
      success: true,
      message: '🚫 Transaction blocked due to high fraud score',
      data: { fraudScore: 0.93, action: 'blocked' },
      confidence: 0.95,
    });
    assert.match(e.id, /^[0-9a-f-]{36}$/);
    const human = aspora(['run', 'fraud/block-transaction', '-m', 'check tx_456', '--meta', 'transactionId=tx_456']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /Transaction approved/);
    assert.match(human.stderr, /execution [0-9a-f-]{36} · \d+ ms · 2 host calls/);
    const back = aspora(['execution', e.id, '--json']);
    assert.equal(back.json().id, e.id);
    assert.equal(back.json().result.data.action, 'blocked');
  });

  test('the same request to the Go and Python examples', () => {
    const fx = aspora([
      'run',
      'wealth/fx-timing',
      '-m',
      'send now?',
      '--meta',
      'from=AED',
      '--meta',
      'to=INR',
      '--meta',
      'amount=5000',
      '--json',
    ]);
    assert.equal(fx.code, 0, fx.stderr);
    assert.match(fx.json().result.message, /AED → INR today/);
    const dispute = aspora(['run', 'fraud/dispute-chargeback', '-m', 'chargeback', '--json']);
    assert.equal(dispute.code, 0, dispute.stderr);
    assert.match(dispute.json().result.message, /Which dispute\?/);
  });

  test('without a provider the stand-in answers model calls; a failed run exits 1 with the reason; bad input is refused before anything runs', () => {
    // No provider configured here: the local stand-in answers the model call, labelled and free.
    const standIn = aspora(['run', 'fraud/dispute-chargeback', '--meta', 'dispute_id=DSP-4471', '--json']);
    assert.ok(standIn.json().model.calls >= 1, standIn.stderr);
    assert.deepEqual(standIn.json().model.providers, ['local-stand-in']);
    assert.equal(standIn.json().model.cost, 0);
    const bad = aspora(['run', 'fraud/block-transaction', '--input', '{not json']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--input is not JSON/);
    const unknown = aspora(['run', 'fraud/nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /deploy it first/);
  });

  test("aspora test runs a folder's unit tests in the sandbox, in each language, and a deployed version's on the platform", () => {
    for (const ref of ['fraud/refund-check', 'fraud/py-skill', 'fraud/go-skill']) {
      const r = aspora(['test', join('skills', ...ref.split('/'))]);
      assert.equal(r.code, 0, `${ref}: ${r.stderr}`);
      assert.match(r.stderr, /tests passed/);
    }
    const remote = aspora(['test', 'fraud/block-transaction', '--json']);
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(remote.json().passed, true);
    writeFileSync(
      join(work, 'skills/fraud/refund-check/tests/unit/refund-check.test.ts'),
      "import { test } from 'node:test'; import assert from 'node:assert/strict'; test('fails', () => assert.equal(1, 2));\n",
    );
    const failing = aspora(['test', 'skills/fraud/refund-check']);
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /tests failed/);
  });
});

describe('budgets', () => {
  test('aspora budget show and lift', () => {
    const show = aspora(['budget', 'show', 'fraud/block-transaction', '--json']);
    assert.equal(show.code, 0, show.stderr);
    assert.equal(show.json().limit, 1000, 'cost_budget.monthly_limit of the example');
    assert.equal(show.json().mode, 'ok');
    assert.match(show.json().period, /^\d{4}-\d{2}$/);
    const lift = aspora(['budget', 'lift', 'fraud/block-transaction', '--reason', 'month end']);
    assert.equal(lift.code, 0, lift.stderr);
    assert.match(lift.stderr, /budget lifted/);
    assert.match(lift.stdout, /lifted by an admin/);
  });
});

describe('observability: metrics, logs, feedback, trace', () => {
  let id = '';
  before(() => {
    const r = aspora([
      'run',
      'fraud/block-transaction',
      '-m',
      'block tx_123',
      '--meta',
      'transactionId=tx_123',
      '--workflow',
      'wf-cli-1',
      '--json',
    ]);
    id = r.json().id;
  });

  test('aspora metrics for the platform, a domain and a skill', () => {
    const plat = aspora(['metrics', '--json']);
    assert.equal(plat.code, 0, plat.stderr);
    assert.ok(plat.json().figures.executions >= 1);
    assert.ok(plat.json().children.some((c: { name: string }) => c.name === 'fraud'));
    const human = aspora(['metrics', 'fraud/block-transaction', '--last', '24h']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /executions\s+success\s+errors\s+p50\s+p95\s+p99\s+cost\s+satisfaction/);
    assert.match(human.stdout, /fraud\/block-transaction\s+\d+\s+\d+\.\d %/);
    const bad = aspora(['metrics', 'fraud/nope']);
    assert.equal(bad.code, 1);
  });

  test('aspora logs shows the recent lines; --level filters', () => {
    const r = aspora(['logs', 'fraud/block-transaction', '--since', '1h']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /execution finished in \d+ ms/);
    const errors = aspora(['logs', 'fraud/block-transaction', '--since', '1h', '--level', 'error', '--json']);
    assert.equal(errors.code, 0);
    for (const line of errors.json().lines) assert.equal(line.level, 'error');
  });

  test('aspora feedback rates and corrects; list and export show it', () => {
    const r = aspora(['feedback', id, '--rating', '2', '--correction', 'should have asked for the analyst first']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /regression case/);
    const list = aspora(['feedback', 'list', 'fraud/block-transaction', '--json']);
    assert.equal(list.json().feedback[0].correction, 'should have asked for the analyst first');
    const out = join(work, 'cases.yaml');
    const exp = aspora(['feedback', 'export', 'fraud/block-transaction', '-o', out]);
    assert.equal(exp.code, 0, exp.stderr);
    assert.match(readFileSync(out, 'utf8'), /type: llm-rubric\n\s+value: should have asked for the analyst first/);
    const bad = aspora(['feedback', id, '--rating', '9']);
    assert.equal(bad.code, 1);
    const none = aspora(['feedback', id]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /rating or a correction/);
  });

  test('--json prints exactly one JSON document on stdout, for every command', () => {
    writeFileSync(join(work, 'json-rows.jsonl'), '{"Order ID":"J1"}\n');
    const cases: Record<string, string[]> = {
      'create skill': ['create', 'skill', 'fraud/json-doc', '--json'],
      validate: ['validate', 'skills/fraud/json-doc', '--json'],
      deploy: ['deploy', 'fraud/refund-check', '--env', 'staging', '--json'],
      list: ['list', '--json'],
      search: ['search', 'block a payment', '--json'],
      show: ['show', 'fraud/block-transaction', '--json'],
      rollback: ['rollback', 'fraud/block-transaction', '--env', 'staging', '--json'],
      releases: ['releases', 'fraud/block-transaction', '--json'],
      promote: ['promote', 'fraud/block-transaction', '--env', 'staging', '--json'],
      diff: ['diff', 'fraud/block-transaction', '--json'],
      run: ['run', 'fraud/block-transaction', '-m', 'block tx_9', '--meta', 'transactionId=tx_9', '--json'],
      execution: ['execution', id, '--json'],
      test: ['test', 'skills/fraud/json-doc', '--json'],
      'budget show': ['budget', 'show', 'fraud/block-transaction', '--json'],
      'budget lift': ['budget', 'lift', 'fraud/block-transaction', '--json'],
      logs: ['logs', 'fraud/block-transaction', '--since', '1h', '--json'],
      metrics: ['metrics', 'fraud', '--json'],
      feedback: ['feedback', id, '--rating', '4', '--json'],
      'feedback list': ['feedback', 'list', '--json'],
      'feedback export': ['feedback', 'export', 'fraud/block-transaction', '--json'],
      trace: ['trace', 'fraud', '--json'],
      audit: ['audit', '--since', '1h', '--json'],
      'audit verify': ['audit', 'verify', '--json'],
      whoami: ['whoami', '--json'],
      'teams create': ['teams', 'create', 'json-team', '--json'],
      'teams list': ['teams', 'list', '--json'],
      'users add': ['users', 'add', 'jo@example.com', '--json'],
      'users list': ['users', 'list', '--json'],
      'teams add-member': ['teams', 'add-member', 'json-team', 'jo@example.com', '--role', 'field', '--json'],
      'teams remove-member': ['teams', 'remove-member', 'json-team', 'jo@example.com', '--json'],
      'tokens create': ['tokens', 'create', '--team', 'json-team', '--scopes', 'read', '--expires', '1d', '--json'],
      'tokens list': ['tokens', 'list', '--json'],
      'tokens revoke': ['tokens', 'revoke', '00000000-0000-4000-8000-000000000000', '--json'],
      'secrets set': ['secrets', 'set', 'json-team', 'JSON_KEY', '--json'],
      'secrets list': ['secrets', 'list', 'json-team', '--json'],
      'secrets rm': ['secrets', 'rm', 'json-team', 'JSON_KEY', '--json'],
      'shared-resources register': [
        'shared-resources',
        'register',
        'fraud',
        '--path',
        'skills/fraud/json-doc',
        '--json',
      ],
      'shared-resources list': ['shared-resources', 'list', 'fraud', '--json'],
      'platform-secrets list': ['platform-secrets', 'list', '--json'],
      'platform-secrets set': ['platform-secrets', 'set', 'JSON_PLATFORM_KEY', '--json'],
      'platform-secrets rm': ['platform-secrets', 'rm', 'JSON_PLATFORM_KEY', '--json'],
      'state tables': ['state', 'tables', 'json-team', '--json'],
      'state rows': ['state', 'rows', 'json-team', 'json_rows', '--json'],
      'state import': ['state', 'import', 'json-team', 'json_rows', '--file', 'json-rows.jsonl', '--json'],
      send: ['send', 'quantum chromodynamics lecture notes', '--json'],
      runs: ['runs', '--queued', '--json'],
      'triggers list': ['triggers', 'list', '--json'],
      'trigger fire': ['trigger', 'fire', 'fraud/block-transaction', '--type', 'cron', '--json'],
      // Last: logout forgets the token `up` saved, login (with the admin's token file) keeps it again.
      logout: ['logout', '--json'],
      login: ['login', '--token', readFileSync(join(work, '.aspora', 'admin.token'), 'utf8').trim(), '--json'],
    };
    // Every command of the program is here, but `up` (a server: before() reads its one document)
    // and the groups without an action of their own.
    const names = (c: Command, prefix = ''): string[] =>
      c.commands.flatMap((sub) => [`${prefix}${sub.name()}`, ...names(sub, `${prefix}${sub.name()} `)]);
    assert.deepEqual(
      names(buildProgram())
        .filter(
          (n) =>
            ![
              'up',
              'create',
              'budget',
              'secrets',
              'platform-secrets',
              'shared-resources',
              'teams',
              'users',
              'tokens',
              'state',
              'trigger',
              'triggers',
            ].includes(n),
        )
        .sort(),
      Object.keys(cases).sort(),
    );
    for (const [name, args] of Object.entries(cases)) {
      const r = aspora(args, {}, name.endsWith('secrets set') ? 'not-a-real-value\n' : undefined);
      let doc: unknown;
      assert.doesNotThrow(
        () => (doc = JSON.parse(r.stdout)),
        `${name}: stdout is not one JSON document:\n${r.stdout.slice(0, 500)}\n${r.stderr}`,
      );
      assert.ok(doc && typeof doc === 'object', name);
      // Failures are documents too ({"error": …}): block-transaction's staging may have nothing to roll back to.
      if (name === 'rollback' && r.code === 1)
        assert.equal((doc as { error: { code: string } }).error.code, 'NOTHING_TO_ROLL_BACK');
      // Nothing in flight to promote: a document saying so.
      else if (name === 'promote') assert.equal((doc as { error: { code: string } }).error.code, 'NO_RELEASE');
      // Revoking a token id nobody has is a document too, saying so.
      else if (name === 'tokens revoke') assert.equal((doc as { error: { code: string } }).error.code, 'NOT_FOUND');
      // The examples' platform file seals no credential: a name it does not declare is refused, as a document.
      else if (name === 'platform-secrets set' || name === 'platform-secrets rm')
        assert.equal((doc as { error: { code: string } }).error.code, 'BAD_REQUEST');
      // A message nothing answers is a document too (routed: null), with exit code 2.
      else if (name === 'send') {
        assert.equal((doc as { routed: unknown }).routed, null, r.stdout);
        assert.equal(r.code, 2, r.stderr);
      } else assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    }
    // One shape for one folder or several.
    const one = aspora(['validate', 'skills/fraud/json-doc', '--json']).json();
    const two = aspora(['validate', 'skills/fraud/json-doc', 'skills/fraud/refund-check', '--json']).json();
    assert.deepEqual(Object.keys(one).sort(), ['results', 'valid']);
    assert.deepEqual(Object.keys(two).sort(), ['results', 'valid']);
    assert.equal(two.results.length, 2);
    // The export as JSON is the promptfoo cases themselves, the correction among them.
    const exp = aspora(['feedback', 'export', 'fraud/block-transaction', '--json']).json();
    assert.ok(
      exp.tests.some((t: { assert?: Array<{ value?: string }> }) =>
        t.assert?.some((a) => a.value === 'should have asked for the analyst first'),
      ),
      JSON.stringify(exp).slice(0, 500),
    );
  });

  test('aspora trace shows the workflow with its execution and calls', () => {
    const r = aspora(['trace', 'fraud']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /workflow wf-cli-1/);
    assert.match(r.stdout, /fraud\/block-transaction@1\.0\.0/);
    assert.match(r.stdout, /execute_tool trm_api\.checkTransaction/);
    const one = aspora(['trace', id, '--json']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.json().executionId, id);
  });
});

describe('aspora state: a team’s state tables', () => {
  test('aspora up loaded the examples’ ECM tabs: tables and rows, as JSON and as a table', () => {
    const t = aspora(['state', 'tables', 'ecm-ops', '--json']);
    assert.equal(t.code, 0, t.stderr);
    const counts = Object.fromEntries(t.json().tables.map((x: { table: string; rows: number }) => [x.table, x.rows]));
    assert.equal(counts.agents, 8);
    assert.ok(counts.assignments >= 11 && counts.resolutions >= 18, JSON.stringify(counts));
    assert.match(aspora(['state', 'tables', 'ecm-ops']).stdout, /^TABLE\s+ROWS\nagents\s+8\n/);

    const r = aspora(['state', 'rows', 'ecm-ops', 'agents', '--limit', '3', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.json().rows as Array<Record<string, unknown>>;
    assert.equal(rows.length, 3);
    assert.equal(Object.keys(rows[0]!)[0], '_id');
    assert.deepEqual(Object.keys(rows[0]!).sort(), [
      'Agent Email',
      'Display Name',
      'Max Open Tickets',
      'Status',
      'Team',
      '_id',
    ]);
    // Columns in the order the rows give them: the database keeps a row's keys in its own order.
    const human = aspora(['state', 'rows', 'ecm-ops', 'agents']);
    const [head, first] = human.stdout.split('\n');
    assert.match(head!, /^_id\s+/);
    for (const c of ['Agent Email', 'Display Name', 'Max Open Tickets']) assert.ok(head!.includes(c), c);
    assert.match(first!, /^\d+\s+/);
    assert.ok(first!.includes('sarah@aspora.com') && first!.includes('Sarah Khan'), first);
    const bad = aspora(['state', 'rows', 'ecm-ops', 'agents', '--limit', '0']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--limit 0 is not a whole number from 1 to 10000/);
  });

  test('import sends JSON Lines in chunks of 1000 with progress; --replace with a JSON array; a bad file loads nothing', () => {
    assert.equal(aspora(['teams', 'create', 'state-team']).code, 0);
    const lines = Array.from({ length: 2500 }, (_, i) =>
      JSON.stringify({ n: i + 1, who: `agent${i % 7}@example.com` }),
    );
    writeFileSync(join(work, 'rows.jsonl'), `${lines.join('\n')}\n`);
    const load = aspora(['state', 'import', 'state-team', 'tickets', '--file', 'rows.jsonl']);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stderr, /1000\/2500 rows\n.*2000\/2500 rows\n.*2500\/2500 rows\n/);
    assert.match(load.stderr, /2500 rows loaded into state-team\/tickets/);
    const count = () =>
      aspora(['state', 'tables', 'state-team', '--json'])
        .json()
        .tables.find((t: { table: string }) => t.table === 'tickets')?.rows;
    assert.equal(count(), 2500);
    const last = aspora(['state', 'rows', 'state-team', 'tickets', '--limit', '10000', '--json']).json().rows.at(-1);
    assert.equal(last.n, 2500, 'rows keep the file’s order');

    writeFileSync(join(work, 'rows.json'), JSON.stringify([{ n: 1 }, { n: 2, note: null }]));
    const replace = aspora(['state', 'import', 'state-team', 'tickets', '--file', 'rows.json', '--replace', '--json']);
    assert.equal(replace.code, 0, replace.stderr);
    assert.deepEqual(replace.json(), { team: 'state-team', table: 'tickets', inserted: 2, removed: 2500, requests: 1 });
    assert.equal(count(), 2);

    writeFileSync(join(work, 'bad.jsonl'), '{"n":3}\n{"n":{"nested":true}}\n');
    const bad = aspora(['state', 'import', 'state-team', 'tickets', '--file', 'bad.jsonl']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.jsonl line 2 \(n\)/);
    const missing = aspora(['state', 'import', 'state-team', 'tickets', '--file', 'nope.json']);
    assert.match(missing.stderr, /no file nope\.json/);
    assert.equal(count(), 2, 'nothing of a bad file was sent');
    const noTeam = aspora(['state', 'import', 'no-such-team', 'tickets', '--file', 'rows.json']);
    assert.equal(noTeam.code, 1);
    assert.match(noTeam.stderr, /no team no-such-team/);
  });
});

describe('errors and help', () => {
  test('every command has --help', () => {
    for (const c of [
      [],
      ['create', 'skill'],
      ['validate'],
      ['deploy'],
      ['list'],
      ['search'],
      ['show'],
      ['rollback'],
      ['releases'],
      ['promote'],
      ['diff'],
      ['run'],
      ['test'],
      ['execution'],
      ['budget', 'show'],
      ['budget', 'lift'],
      ['logs'],
      ['metrics'],
      ['trace'],
      ['feedback'],
      ['feedback', 'list'],
      ['feedback', 'export'],
      ['state', 'tables'],
      ['state', 'rows'],
      ['state', 'import'],
      ['up'],
    ]) {
      const r = aspora([...c, '--help']);
      assert.equal(r.code, 0, `${c.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: aspora/);
    }
  });

  test('unknown skill, bad reference and unreachable API are clear failures', () => {
    const unknown = aspora(['show', 'fraud/nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /SKILL_NOT_FOUND/);
    const bad = aspora(['show', 'Not A Ref']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a skill reference/);
    const down = aspora(['list'], { ASPORA_URL: 'http://127.0.0.1:9' });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach the Aspora API/);
    assert.match(down.stderr, /aspora up/);
    const json = aspora(['show', 'fraud/nope', '--json']);
    assert.equal(json.json().error.code, 'SKILL_NOT_FOUND');
  });

  test('usage errors exit 2', () => {
    const r = aspora(['deploy', 'x', '--env', 'moon']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Allowed choices are staging, production/);
    const j = aspora(['deploy', 'x', '--env', 'moon', '--json']);
    assert.equal(j.code, 2);
    assert.equal(j.json().error.code, 'BAD_REQUEST');
    assert.match(j.json().error.message, /Allowed choices are staging, production/);
  });
});

test('a reader that closes the pipe early (aspora … | head) ends the output quietly, not with a stack trace', () => {
  // `true` exits without reading: every write of the help then meets a closed pipe (EPIPE).
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" send --help | true`], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '', r.stderr);
});
