/**
 * WebFetch's two checks against real local servers that record what reaches them: the allow-list
 * by host and port (the guard), and the address every connection is made to (the dispatcher) —
 * loopback, private, link-local and the rest refused whatever name or form led there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AsporaError } from '@aspora/sdk';
import { PermissionGuard } from '../runtime/policy/guard.ts';
import { hostAllowed, parseHostEntry } from '../runtime/policy/hosts.ts';
import { AddressPolicy, parseAllowPrivate } from './address-policy.ts';
import { guardedDispatcher } from './guarded-dispatcher.ts';
import { webFetch } from './web-fetch.ts';

const seen: string[] = [];
const servers: Server[] = [];
async function server(
  handler: (url: string) => { status: number; headers?: Record<string, string>; body?: string },
): Promise<number> {
  const s = createServer((req, res) => {
    seen.push(`${req.socket.localPort} ${req.url}`);
    const r = handler(req.url!);
    res.writeHead(r.status, r.headers).end(r.body ?? '');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return (s.address() as AddressInfo).port;
}

let apiPort: number; // stands in for the platform's own API
let standIn: number; // a local stand-in a platform admin allows explicitly
let redirector: number;
before(async () => {
  apiPort = await server(() => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"skills":["all of them"]}',
  }));
  standIn = await server(() => ({ status: 200, body: 'stand-in answer' }));
  redirector = await server((url) => ({
    status: 302,
    headers: {
      location:
        url === '/to-metadata'
          ? 'http://169.254.169.254/latest/meta-data/iam/'
          : `http://localhost:${apiPort}/v1/skills`,
    },
  }));
});
after(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

function fetcher(allowHosts: string[], allowPrivate: string[] = []) {
  const guard = new PermissionGuard({
    ref: 'web/fetcher',
    domain: 'web',
    role: null,
    tools: ['WebFetch'],
    apis: [],
    secrets: [],
    sharedResources: [],
    blockedResources: [],
    webFetchHosts: allowHosts,
  });
  const dispatcher = guardedDispatcher(new AddressPolicy(allowPrivate));
  return {
    get: (url: string) => webFetch({ url: new URL(url) }, { maxBytes: 1 << 20, timeoutMs: 5000, dispatcher }, guard),
    close: () => dispatcher.close(),
  };
}

async function denied(p: Promise<unknown>, rule: RegExp): Promise<AsporaError> {
  let err: unknown;
  await p.then(
    () => assert.fail('fetched'),
    (e: unknown) => (err = e),
  );
  assert.ok(err instanceof AsporaError, String(err));
  assert.equal(err.code, 'PERMISSION_DENIED', err.message);
  assert.match(String(err.details?.rule), rule);
  assert.match(err.message, /^skill web\/fetcher may not use /);
  return err;
}

describe('the allow-list: host and port', () => {
  test('with localhost allowed, the platform API on its own port is refused: a bare name means the default port', async () => {
    const f = fetcher(['localhost']);
    seen.length = 0;
    await denied(f.get(`http://localhost:${apiPort}/v1/skills`), /not in the platform's WebFetch allow-list/);
    await denied(f.get(`http://2130706433:${apiPort}/`), /not in the platform's WebFetch allow-list/);
    assert.deepEqual(seen, []);
    await f.close();
  });

  test("entries: host, host:port, *.domain(:port); names compared in the URL parser's canonical form", () => {
    const ok = (url: string, allow: string[]) => hostAllowed(new URL(url), allow);
    assert.equal(ok('https://api.example.com/x', ['api.example.com']), true);
    assert.equal(ok('https://api.example.com:443/x', ['api.example.com']), true);
    assert.equal(ok('http://api.example.com/x', ['api.example.com']), true, 'port 80 for http');
    assert.equal(ok('https://api.example.com:8443/x', ['api.example.com']), false);
    assert.equal(ok('https://api.example.com:8443/x', ['api.example.com:8443']), true);
    assert.equal(ok('https://api.example.com/x', ['api.example.com:8443']), false);
    assert.equal(ok('https://a.b.example.com/', ['*.example.com']), true);
    assert.equal(ok('https://example.com/', ['*.example.com']), false);
    assert.equal(ok('https://evilexample.com/', ['*.example.com']), false);
    assert.equal(ok('https://a.example.com:9000/', ['*.example.com:9000']), true);
    assert.equal(ok('https://API.Example.COM./', ['api.example.com']), true);
    assert.equal(
      ok('http://0x7f.1:8080/', ['127.0.0.1:8080']),
      true,
      'numeric forms are canonical before the comparison',
    );
    assert.equal(ok('http://[::1]:8080/', ['[::1]:8080']), true);
    for (const bad of ['http://x.com', 'x.com/path', 'x.com:0', 'x.com:99999', '*.10.0.0.1', 'a b', 'user@x.com'])
      assert.equal(typeof parseHostEntry(bad), 'string', bad);
  });
});

describe('the address of every connection', () => {
  test('a host that resolves to 127.0.0.1 is refused at connect time, and nothing reaches it', async () => {
    const f = fetcher([`localhost:${apiPort}`]);
    seen.length = 0;
    const e = await denied(
      f.get(`http://localhost:${apiPort}/v1/skills`),
      /loopback; WebFetch connects to public addresses only/,
    );
    assert.match(String(e.details?.resource), new RegExp(`^address (127\\.0\\.0\\.1|::1):${apiPort} \\(localhost\\)$`));
    assert.match(e.hint ?? '', /web_fetch\.allow_private/);
    assert.deepEqual(seen, []);
    await f.close();
  });

  test('IP literals in any spelling are refused: 2130706433, [::ffff:127.0.0.1], 0.0.0.0', async () => {
    // Allowed by name on purpose: this is the check behind the allow-list.
    const f = fetcher([`127.0.0.1:${apiPort}`, `[::ffff:7f00:1]:${apiPort}`, `0.0.0.0:${apiPort}`, `[::]:${apiPort}`]);
    seen.length = 0;
    await denied(f.get(`http://2130706433:${apiPort}/`), /^loopback;/);
    await denied(
      f.get(`http://[::ffff:127.0.0.1]:${apiPort}/`),
      /^loopback, as the IPv4 address 127\.0\.0\.1 inside an IPv6 one;/,
    );
    await denied(f.get(`http://0.0.0.0:${apiPort}/`), /^unspecified/);
    await denied(f.get(`http://[::]:${apiPort}/`), /^unspecified/);
    assert.deepEqual(seen, []);
    await f.close();
  });

  test('a redirect is checked again: to 169.254.169.254 (cloud metadata) and to a loopback name, refused', async () => {
    const f = fetcher(
      [`127.0.0.1:${redirector}`, '169.254.169.254', `localhost:${apiPort}`],
      [`127.0.0.1:${redirector}`],
    );
    seen.length = 0;
    await denied(
      f.get(`http://127.0.0.1:${redirector}/to-metadata`),
      /^link-local \(169\.254\.0\.0\/16, where cloud metadata lives\);/,
    );
    await denied(f.get(`http://127.0.0.1:${redirector}/to-api`), /^loopback;/);
    assert.deepEqual(seen, [`${redirector} /to-metadata`, `${redirector} /to-api`], 'only the first hops were made');
    await f.close();
  });

  test('an explicitly allowed private host:port works; its neighbours stay refused', async () => {
    const f = fetcher(
      [`127.0.0.1:${standIn}`, `127.0.0.1:${apiPort}`, `localhost:${standIn}`],
      [`127.0.0.1:${standIn}`],
    );
    seen.length = 0;
    assert.deepEqual(await f.get(`http://127.0.0.1:${standIn}/q`).then((r) => [r.status, r.body]), [
      200,
      'stand-in answer',
    ]);
    assert.deepEqual(await f.get(`http://localhost:${standIn}/by-name`).then((r) => [r.status, r.body]), [
      200,
      'stand-in answer',
    ]);
    await denied(f.get(`http://127.0.0.1:${apiPort}/`), /^loopback;/);
    assert.deepEqual(seen, [`${standIn} /q`, `${standIn} /by-name`]);
    await f.close();
    const range = fetcher([`127.0.0.1:${apiPort}`], ['127.0.0.0/8']);
    assert.equal((await range.get(`http://127.0.0.1:${apiPort}/`)).status, 200, 'a CIDR range allows every port');
    await range.close();
  });
});

test('the address policy: internal ranges and their IPv6 disguises refused, public addresses and allowed entries pass', () => {
  const p = new AddressPolicy();
  const refused = [
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '172.16.5.4',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '100.127.255.255',
    '169.254.169.254',
    '0.0.0.0',
    '0.1.2.3',
    '224.0.0.1',
    '255.255.255.255',
    '192.0.0.192',
    '::1',
    '::',
    'fd00:ec2::254',
    'fc00::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::ffff:10.0.0.1',
    '64:ff9b::7f00:1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b:1::1',
    '::127.0.0.1',
    '::a9fe:a9fe',
  ];
  for (const a of refused) assert.notEqual(p.refusal(a, 80), null, a);
  for (const a of [
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])
    assert.equal(p.refusal(a, 443), null, a);
  const allowed = new AddressPolicy(['127.0.0.1:4010', '10.1.0.0/16', '[fd00::1]:8080', '169.254.169.254:80']);
  assert.equal(allowed.refusal('127.0.0.1', 4010), null);
  assert.equal(allowed.refusal('::ffff:127.0.0.1', 4010), null, 'the mapped form of an allowed address');
  assert.notEqual(allowed.refusal('127.0.0.1', 4011), null);
  assert.equal(allowed.refusal('10.1.200.3', 5432), null);
  assert.notEqual(allowed.refusal('10.2.0.1', 5432), null);
  assert.equal(allowed.refusal('fd00::1', 8080), null);
  assert.notEqual(allowed.refusal('fd00::1', 8081), null);
  for (const bad of [
    'localhost',
    '10.0.0.0/33',
    '::1:4010:x',
    '10.0.0.1:0',
    '10.0.0.1:70000',
    '10.0.0.0/8:80',
    'fd00::1/129',
    '',
  ])
    assert.equal(typeof parseAllowPrivate(bad), 'string', bad);
});
