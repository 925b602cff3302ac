/**
 * Notifiers against real local servers: node:http stand-ins for Slack's incoming webhook,
 * PagerDuty's Events API v2 and a generic receiver, and a real SMTP server (smtp-server) whose
 * messages are parsed with mailparser. No mocks: every channel speaks its real protocol.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { AsporaError } from '@aspora/sdk';
import { SecretVault } from '../../secrets/secrets.ts';
import { NotifiersSchema, TeamSchema, type NotifiersConfig, type TeamConfig } from '../../config/platform-file.ts';
import type { Logger } from '../logger.ts';
import { PagerDutyNotifier } from './pagerduty.ts';
import { NotificationRouter } from './router.ts';
import type { Notice } from './types.ts';

// ---- local servers -------------------------------------------------------------------------

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

interface FakeHttp {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

type Reply = (req: Received, res: ServerResponse) => void;

async function startHttp(reply: Reply): Promise<FakeHttp> {
  const received: Received[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const r: Received = { path: req.url ?? '/', headers: req.headers, body: raw ? JSON.parse(raw) : undefined };
    received.push(r);
    reply(r, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((r) => server.close(() => r())) };
}

/** Slack answers 200 `ok`; a revoked webhook 404 `no_service`. */
const slackReply: Reply = (req, res) => {
  if (req.path.startsWith('/services/revoked'))
    return void res.writeHead(404, { 'content-type': 'text/plain' }).end('no_service');
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
};

/** PagerDuty's answers: 202 success; /flaky throttles each dedup_key's first event; /bad is a 400. */
function pagerDutyReply(): Reply {
  const throttled = new Set<string>();
  return (req, res) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.path === '/bad')
      return json(400, {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["'routing_key' is invalid"],
      });
    if (req.path === '/flaky' && !throttled.has(req.body.dedup_key)) {
      throttled.add(req.body.dedup_key);
      return json(429, { status: 'throttle exceeded', message: 'Requests for this service are arriving too quickly.' });
    }
    json(202, { status: 'success', message: 'Event processed', dedup_key: req.body.dedup_key });
  };
}

interface FakeSmtp {
  port: number;
  mails: Array<{ rcptTo: string[]; mailFrom: string; user: string | undefined; parsed: ParsedMail }>;
  close(): Promise<void>;
}

async function startSmtp(users: Record<string, string>): Promise<FakeSmtp> {
  const mails: FakeSmtp['mails'] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'], // plain SMTP on loopback: no certificate to set up
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username && users[auth.username] === auth.password) return cb(null, { user: auth.username });
      cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((parsed) => {
          mails.push({
            parsed,
            rcptTo: session.envelope.rcptTo.map((a) => a.address),
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            user: session.user as string | undefined,
          });
          cb();
        })
        .catch(cb);
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, close: () => new Promise((r) => server.close(() => r())) };
}

/** A port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

function captureLog(): { log: Logger; lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

const notice = (over: Partial<Notice> = {}): Notice => ({
  key: 'skill.success_rate:fraud/block-transaction',
  status: 'firing',
  severity: 'critical',
  title: 'fraud/block-transaction: success rate 81 % < 95 % over 5 min',
  text: '19 of 100 executions failed in the last 5 min.\nMost common error: TIMEOUT (14).',
  scope: { skill: 'fraud/block-transaction', domain: 'fraud', team: null },
  rule: 'skill.success_rate',
  value: 81,
  threshold: 95,
  links: [{ label: 'Executions', url: 'http://aspora.local/skills/fraud/block-transaction/executions' }],
  at: '2026-03-01T10:00:00.000Z',
  ...over,
});

const resolved = (n: Notice): Notice => ({ ...n, status: 'resolved', at: '2026-03-01T10:20:00.000Z' });

// ---- fixtures ------------------------------------------------------------------------------

let slack: FakeHttp;
let pd: FakeHttp;
let hook: FakeHttp;
let smtp: FakeSmtp;

before(async () => {
  [slack, pd, hook, smtp] = await Promise.all([
    startHttp(slackReply),
    startHttp(pagerDutyReply()),
    startHttp((_r, res) => void res.writeHead(204).end()),
    startSmtp({ alerts: 's3cret' }),
  ]);
});
after(() => Promise.all([slack.close(), pd.close(), hook.close(), smtp.close()]));
beforeEach(() => {
  for (const s of [slack, pd, hook]) s.received.length = 0;
  smtp.mails.length = 0;
});

const vault = new SecretVault({}, {}).withFixed({
  PD_KEY: 'platform-routing-key',
  RISK_PD_KEY: 'risk-routing-key',
  SMTP_PASSWORD: 's3cret',
});

function platformNotifiers(over: Record<string, unknown> = {}): NotifiersConfig {
  return NotifiersSchema.parse({
    slack: { webhook_url: `${slack.url}/services/platform` },
    pagerduty: { routing_key_secret: 'PD_KEY', events_url: `${pd.url}/v2/enqueue` },
    email: {
      host: '127.0.0.1',
      port: smtp.port,
      user: 'alerts',
      password_secret: 'SMTP_PASSWORD',
      from: 'Aspora <aspora@example.test>',
      to: ['oncall@example.test'],
    },
    webhook: { url: `${hook.url}/platform-hook`, headers: { authorization: 'Bearer platform-token' } },
    ...over,
  });
}

const teams = (): Record<string, TeamConfig> => ({
  risk: TeamSchema.parse({
    slack_webhook_url: `${slack.url}/services/risk`,
    email: ['risk@example.test', 'risk-lead@example.test'],
    pagerduty_routing_key_secret: 'RISK_PD_KEY',
    webhook_url: `${hook.url}/risk-hook`,
  }),
  payments: TeamSchema.parse({ email: [] }),
});

const router = (n: NotifiersConfig = platformNotifiers(), log: Logger = captureLog().log) =>
  new NotificationRouter(n, teams(), vault, log, { retryDelayMs: 20 });

const ALL = ['slack', 'pagerduty', 'email', 'webhook'] as const;

// ---- channels ------------------------------------------------------------------------------

describe('slack', () => {
  test('firing and resolved: text, header, detail, fields and context; resolved reads differently', async () => {
    const r = router();
    const n = notice();
    assert.deepEqual(await r.send(n, ['slack']), [{ channel: 'slack', ok: true }]);
    assert.deepEqual(await r.send(resolved(n), ['slack']), [{ channel: 'slack', ok: true }]);

    assert.equal(slack.received.length, 2);
    const [fire, res] = slack.received.map((x) => x.body);
    assert.equal(slack.received[0]!.path, '/services/platform');
    assert.equal(slack.received[0]!.headers['content-type'], 'application/json');

    assert.match(fire.text, /^:red_circle: \[FIRING\] fraud\/block-transaction: success rate 81 % &lt; 95 %/);
    const [header, detail, fields, links, context] = fire.blocks;
    assert.equal(header.type, 'header');
    assert.match(header.text.text, /^:red_circle: Firing: fraud\/block-transaction/);
    assert.equal(detail.text.type, 'mrkdwn');
    assert.match(detail.text.text, /Most common error: TIMEOUT \(14\)/);
    const f = fields.fields.map((x: { text: string }) => x.text);
    assert.ok(f.includes('*Value*\n81'));
    assert.ok(f.includes('*Threshold*\n95'));
    assert.ok(f.includes('*Scope*\nskill fraud/block-transaction · domain fraud'));
    assert.ok(f.includes('*Rule*\nskill.success_rate'));
    assert.match(
      links.text.text,
      /^<http:\/\/aspora\.local\/skills\/fraud\/block-transaction\/executions\|Executions>$/,
    );
    assert.equal(context.type, 'context');
    assert.match(
      context.elements[0].text,
      /FIRING · skill\.success_rate · key `skill\.success_rate:fraud\/block-transaction` · 2026-03-01T10:00:00\.000Z/,
    );

    assert.match(res.text, /^:white_check_mark: \[RESOLVED\] /);
    assert.match(res.blocks[0].text.text, /^:white_check_mark: Resolved: /);
    assert.notEqual(res.blocks[0].text.text.split(' ')[0], header.text.text.split(' ')[0]);
  });

  test("Slack's refusal is a failure naming its answer, never the webhook's secret path", async () => {
    const { log, lines } = captureLog();
    const r = router(
      platformNotifiers({ slack: { webhook_url: `${slack.url}/services/revoked/T000/B000/XXXX` } }),
      log,
    );
    const [res] = await r.send(notice(), ['slack']);
    assert.equal(res!.ok, false);
    assert.match(res!.error!, /Slack webhook at http:\/\/127\.0\.0\.1:\d+ answered 404: no_service/);
    assert.doesNotMatch(JSON.stringify(lines), /XXXX/);
  });
});

describe('pagerduty', () => {
  test('trigger then resolve with the same dedup_key, in the Events API v2 shape', async () => {
    const r = router();
    const n = notice();
    assert.deepEqual(await r.send(n, ['pagerduty']), [{ channel: 'pagerduty', ok: true }]);
    assert.deepEqual(await r.send(resolved(n), ['pagerduty']), [{ channel: 'pagerduty', ok: true }]);

    assert.equal(pd.received.length, 2);
    const [trigger, resolve] = pd.received.map((x) => x.body);
    assert.equal(pd.received[0]!.path, '/v2/enqueue');
    assert.deepEqual(trigger, {
      routing_key: 'platform-routing-key',
      event_action: 'trigger',
      dedup_key: n.key,
      payload: {
        summary: n.title,
        source: 'aspora',
        severity: 'critical',
        timestamp: '2026-03-01T10:00:00.000Z',
        component: 'fraud/block-transaction',
        group: 'fraud',
        class: 'skill.success_rate',
        custom_details: { text: n.text, rule: 'skill.success_rate', value: 81, threshold: 95, scope: n.scope },
      },
      links: [{ href: n.links![0]!.url, text: 'Executions' }],
    });
    assert.deepEqual(resolve, { routing_key: 'platform-routing-key', event_action: 'resolve', dedup_key: n.key });
  });

  test('a 429 is retried once after a short backoff, then succeeds', async () => {
    const r = router(platformNotifiers({ pagerduty: { routing_key_secret: 'PD_KEY', events_url: `${pd.url}/flaky` } }));
    const t0 = Date.now();
    assert.deepEqual(await r.send(notice({ key: 'flaky-1' }), ['pagerduty']), [{ channel: 'pagerduty', ok: true }]);
    assert.ok(Date.now() - t0 >= 15, 'waited before the retry');
    assert.equal(pd.received.length, 2);
    assert.deepEqual(pd.received[0]!.body, pd.received[1]!.body);
  });

  test("a 400 is a typed error carrying PagerDuty's message, logged with channel and key", async () => {
    const notifier = new PagerDutyNotifier({ eventsUrl: `${pd.url}/bad` });
    await assert.rejects(notifier.send(notice(), { channel: 'pagerduty', routingKey: 'nope' }), (e: unknown) => {
      assert.ok(e instanceof AsporaError);
      assert.equal(e.code, 'UPSTREAM_ERROR');
      assert.match(e.message, /rejected the event \(400\): Event object is invalid: 'routing_key' is invalid/);
      assert.match(e.hint!, /routing key/);
      return true;
    });
    assert.equal(pd.received.length, 1, 'a 4xx is not retried');

    const { log, lines } = captureLog();
    const r = router(
      platformNotifiers({ pagerduty: { routing_key_secret: 'PD_KEY', events_url: `${pd.url}/bad` } }),
      log,
    );
    const [res] = await r.send(notice({ key: 'bad-1' }), ['pagerduty']);
    assert.equal(res!.ok, false);
    assert.match(res!.error!, /Event object is invalid/);
    const logged = lines.find((l) => l.level === 50);
    assert.ok(logged, 'the failure is logged as an error');
    assert.equal(logged.channel, 'pagerduty');
    assert.equal(logged.key, 'bad-1');
    assert.equal(logged.code, 'UPSTREAM_ERROR');
    assert.match(logged.error, /Event object is invalid/);
  });

  test('a routing key secret missing from the vault fails the channel with a hint', async () => {
    const r = router(
      platformNotifiers({ pagerduty: { routing_key_secret: 'NOT_THERE', events_url: `${pd.url}/v2/enqueue` } }),
    );
    const [res] = await r.send(notice(), ['pagerduty']);
    assert.equal(res!.ok, false);
    assert.match(res!.error!, /secret NOT_THERE is not in the vault/);
    assert.equal(pd.received.length, 0);
  });
});

describe('email', () => {
  test('firing and resolved: subject, recipients, plain text and HTML, logged in with the vault password', async () => {
    const r = router();
    const n = notice();
    assert.deepEqual(await r.send(n, ['email']), [{ channel: 'email', ok: true }]);
    assert.deepEqual(await r.send(resolved(n), ['email']), [{ channel: 'email', ok: true }]);

    assert.equal(smtp.mails.length, 2);
    const [fire, res] = smtp.mails;
    assert.equal(fire!.user, 'alerts');
    assert.equal(fire!.mailFrom, 'aspora@example.test');
    assert.deepEqual(fire!.rcptTo, ['oncall@example.test']);
    assert.equal(fire!.parsed.subject, '[FIRING] fraud/block-transaction: success rate 81 % < 95 % over 5 min');
    assert.match(fire!.parsed.text!, /Most common error: TIMEOUT \(14\)/);
    assert.match(fire!.parsed.text!, /Value: 81\nThreshold: 95\nScope: skill fraud\/block-transaction · domain fraud/);
    assert.match(fire!.parsed.text!, /Executions: http:\/\/aspora\.local\/skills/);
    assert.match(String(fire!.parsed.html), /<h2[^>]*>FIRING: fraud\/block-transaction: success rate 81 % &lt; 95 %/);
    assert.equal(fire!.parsed.headers.get('x-aspora-alert-key'), n.key);

    assert.equal(res!.parsed.subject, '[RESOLVED] fraud/block-transaction: success rate 81 % < 95 % over 5 min');
    assert.match(res!.parsed.text!, /^RESOLVED: /);
    // Both belong to one thread in a mail client.
    assert.deepEqual(res!.parsed.references, fire!.parsed.references);
  });

  test('a refused login is a failure naming the SMTP server', async () => {
    const r = new NotificationRouter(
      platformNotifiers(),
      {},
      vault.withFixed({ SMTP_PASSWORD: 'wrong' }),
      captureLog().log,
    );
    const [res] = await r.send(notice(), ['email']);
    assert.equal(res!.ok, false);
    assert.match(res!.error!, new RegExp(`SMTP server 127\\.0\\.0\\.1:${smtp.port} refused the login`));
    assert.equal(smtp.mails.length, 0);
  });
});

describe('webhook', () => {
  test('firing and resolved: the Notice JSON with the configured headers', async () => {
    const r = router();
    const n = notice();
    assert.deepEqual(await r.send(n, ['webhook']), [{ channel: 'webhook', ok: true }]);
    assert.deepEqual(await r.send(resolved(n), ['webhook']), [{ channel: 'webhook', ok: true }]);
    assert.equal(hook.received.length, 2);
    assert.equal(hook.received[0]!.path, '/platform-hook');
    assert.equal(hook.received[0]!.headers.authorization, 'Bearer platform-token');
    assert.equal(hook.received[0]!.headers['content-type'], 'application/json');
    assert.deepEqual(hook.received[0]!.body, n);
    assert.deepEqual(hook.received[1]!.body, resolved(n));
  });

  test('a non-2xx answer is an error', async () => {
    const failing = await startHttp(
      (_r, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('receiver exploded'),
    );
    try {
      const r = router(platformNotifiers({ webhook: { url: `${failing.url}/x?token=abc` } }));
      const [res] = await r.send(notice(), ['webhook']);
      assert.equal(res!.ok, false);
      assert.match(res!.error!, /webhook at http:\/\/127\.0\.0\.1:\d+ answered 500: receiver exploded/);
      assert.doesNotMatch(res!.error!, /token=abc/);
      assert.equal(failing.received.length, 1, 'a webhook is not retried');
    } finally {
      await failing.close();
    }
  });
});

// ---- routing -------------------------------------------------------------------------------

describe('NotificationRouter', () => {
  test("the notice's team destinations win over the platform defaults", async () => {
    const { log, lines } = captureLog();
    const r = router(platformNotifiers(), log);
    const n = notice({ scope: { skill: 'fraud/block-transaction', domain: 'fraud', team: 'risk' } });
    const results = await r.send(n, [...ALL]);
    assert.deepEqual(
      results,
      ALL.map((channel) => ({ channel, ok: true })),
    );

    assert.deepEqual(
      slack.received.map((x) => x.path),
      ['/services/risk'],
    );
    assert.equal(pd.received[0]!.body.routing_key, 'risk-routing-key');
    assert.deepEqual(smtp.mails[0]!.rcptTo, ['risk@example.test', 'risk-lead@example.test']);
    assert.deepEqual(
      hook.received.map((x) => x.path),
      ['/risk-hook'],
    );
    assert.equal(
      hook.received[0]!.headers.authorization,
      undefined,
      "the platform webhook's credentials stay with the platform's receiver",
    );
    assert.ok(lines.filter((l) => l.msg === 'notice sent').every((l) => l.destination === 'team' && l.team === 'risk'));
  });

  test("a team that set nothing for a channel gets the platform's default", async () => {
    const n = notice({ scope: { skill: 'pay/refund', domain: 'pay', team: 'payments' } });
    const results = await router().send(n, ['slack', 'email']);
    assert.deepEqual(results, [
      { channel: 'slack', ok: true },
      { channel: 'email', ok: true },
    ]);
    assert.deepEqual(
      slack.received.map((x) => x.path),
      ['/services/platform'],
    );
    assert.deepEqual(smtp.mails[0]!.rcptTo, ['oncall@example.test']);
  });

  test('a channel without a destination is skipped with a warning naming what to configure', async () => {
    const { log, lines } = captureLog();
    const r = new NotificationRouter(
      NotifiersSchema.parse({ webhook: { url: `${hook.url}/platform-hook` } }),
      teams(),
      vault,
      log,
    );

    const platformRule = notice({ scope: { team: null }, rule: 'platform.error_rate' });
    const results = await r.send(platformRule, ['slack', 'pagerduty', 'email', 'webhook']);
    assert.deepEqual(
      results.map((x) => [x.channel, x.ok, x.skipped ?? false]),
      [
        ['slack', false, true],
        ['pagerduty', false, true],
        ['email', false, true],
        ['webhook', true, false],
      ],
    );
    const warns = lines.filter((l) => l.level === 40);
    assert.equal(warns.length, 3);
    assert.deepEqual(
      warns.map((w) => [w.channel, w.key, w.configure]),
      [
        ['slack', platformRule.key, 'notifiers.slack.webhook_url'],
        ['pagerduty', platformRule.key, 'notifiers.pagerduty.routing_key_secret'],
        ['email', platformRule.key, 'notifiers.email (the SMTP server)'],
      ],
    );
    assert.equal(hook.received.length, 1, 'the configured channel was still sent');

    // For a team's notice the warning offers the team's field too.
    lines.length = 0;
    const [res] = await r.send(notice({ scope: { team: 'payments' } }), ['slack']);
    assert.equal(res!.skipped, true);
    assert.match(res!.error!, /teams\.payments\.slack_webhook_url or notifiers\.slack\.webhook_url/);
    assert.equal(lines[0]!.configure, 'teams.payments.slack_webhook_url or notifiers.slack.webhook_url');
  });

  test('one channel down (connection refused) does not stop the others', async () => {
    const { log, lines } = captureLog();
    const down = await closedPort();
    const r = router(platformNotifiers({ slack: { webhook_url: `http://127.0.0.1:${down}/services/platform` } }), log);
    const n = notice({ key: 'down-1' });
    const results = await r.send(n, [...ALL]);
    assert.deepEqual(
      results.map((x) => [x.channel, x.ok]),
      [
        ['slack', false],
        ['pagerduty', true],
        ['email', true],
        ['webhook', true],
      ],
    );
    assert.match(results[0]!.error!, /ECONNREFUSED/);
    assert.equal(pd.received.length, 1);
    assert.equal(smtp.mails.length, 1);
    assert.equal(hook.received.length, 1);
    const failed = lines.filter((l) => l.level === 50);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.channel, 'slack');
    assert.equal(failed[0]!.key, 'down-1');
    assert.match(failed[0]!.error, /ECONNREFUSED/);
  });

  test('every channel down: send still resolves, one result per channel', async () => {
    const down = await closedPort();
    const n = NotifiersSchema.parse({
      slack: { webhook_url: `http://127.0.0.1:${down}/s` },
      pagerduty: { routing_key_secret: 'PD_KEY', events_url: `http://127.0.0.1:${down}/v2/enqueue` },
      email: { host: '127.0.0.1', port: down, from: 'aspora@example.test', to: ['oncall@example.test'] },
      webhook: { url: `http://127.0.0.1:${down}/h` },
    });
    const results = await new NotificationRouter(n, {}, vault, captureLog().log, { retryDelayMs: 1 }).send(notice(), [
      ...ALL,
      'slack',
    ]);
    assert.deepEqual(
      results.map((x) => [x.channel, x.ok]),
      ALL.map((c) => [c, false]),
      'a repeated channel is sent once',
    );
    assert.ok(results.every((x) => x.error && !x.skipped));
  });

  test('configuredChannels: the platform and teams, or one team', () => {
    assert.deepEqual(router().configuredChannels(), ['slack', 'pagerduty', 'email', 'webhook']);
    const onlyTeams = new NotificationRouter(NotifiersSchema.parse({}), teams(), vault, captureLog().log);
    // Email needs the platform's SMTP server even where a team lists addresses.
    assert.deepEqual(onlyTeams.configuredChannels(), ['slack', 'pagerduty', 'webhook']);
    assert.deepEqual(onlyTeams.configuredChannels('risk'), ['slack', 'pagerduty', 'webhook']);
    assert.deepEqual(onlyTeams.configuredChannels('payments'), []);
    assert.deepEqual(onlyTeams.configuredChannels(null), []);
    assert.deepEqual(
      new NotificationRouter(NotifiersSchema.parse({}), {}, vault, captureLog().log).configuredChannels(),
      [],
    );
  });
});
