/** aspora.platform.yaml as read at start-up: what a broken or hostile file turns into. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsporaError } from '@aspora/sdk';
import { parsePlatformFile } from './platform-file.ts';

test('a YAML alias bomb in aspora.platform.yaml is a CONFIG_INVALID naming the file, the line and the reason', () => {
  const lines = [
    'secrets:',
    '  A: {value: x}',
    'bomb:',
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ];
  for (let i = 1; i < 9; i++)
    lines.push(
      `  ${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  assert.throws(
    () => parsePlatformFile(`${lines.join('\n')}\n`, 'aspora.platform.yaml', {}),
    (e: unknown) => {
      assert.ok(e instanceof AsporaError, String(e));
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.equal(e.status < 500, true);
      const issue = e.issues![0]!;
      assert.equal(issue.file, 'aspora.platform.yaml');
      assert.equal(issue.line, 5, 'the first alias');
      assert.match(issue.message, /aliases expand too much/);
      return true;
    },
  );
});

test('web_fetch entries are checked at load: allow_hosts as host[:port] or *.domain[:port], allow_private as IP[:port] or CIDR', () => {
  const ok = parsePlatformFile(
    'web_fetch:\n  allow_hosts: [api.example.com, "api.example.com:8443", "*.example.com", "127.0.0.1:4010"]\n  allow_private: ["127.0.0.1:4010", 10.1.0.0/16, "[fd00::1]:8080"]\n',
    'aspora.platform.yaml',
    {},
  );
  assert.deepEqual(ok.web_fetch.allow_private, ['127.0.0.1:4010', '10.1.0.0/16', '[fd00::1]:8080']);
  assert.deepEqual(
    parsePlatformFile('', 'aspora.platform.yaml', {}).web_fetch.allow_private,
    [],
    'nothing internal by default',
  );
  assert.throws(
    () =>
      parsePlatformFile(
        'web_fetch:\n  allow_hosts: ["http://api.example.com/"]\n  allow_private: [localhost]\n',
        'aspora.platform.yaml',
        {},
      ),
    (e: unknown) => {
      assert.ok(e instanceof AsporaError);
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.deepEqual(
        e.issues.map((i) => [i.path, i.line]),
        [
          ['web_fetch.allow_hosts[0]', 2],
          ['web_fetch.allow_private[0]', 3],
        ],
      );
      assert.match(e.issues[0]!.message, /a host name, host:port/);
      assert.match(e.issues[1]!.message, /an IP address, IP:port/);
      return true;
    },
  );
});

test('jobs: the idempotency retention (24h by default, at least 1h) and the per-second cron setting', () => {
  const d = parsePlatformFile('', 'aspora.platform.yaml', {}).jobs;
  assert.deepEqual(d, { idempotency_retention: 86_400_000, cron_seconds: false });
  const set = parsePlatformFile(
    'jobs:\n  idempotency_retention: 48h\n  cron_seconds: true\n',
    'aspora.platform.yaml',
    {},
  );
  assert.deepEqual(set.jobs, { idempotency_retention: 172_800_000, cron_seconds: true });
  assert.throws(
    () => parsePlatformFile('jobs:\n  idempotency_retention: 30m\n', 'aspora.platform.yaml', {}),
    (e: any) => e.code === 'CONFIG_INVALID' && JSON.stringify(e.details ?? e.issues ?? e).includes('at least 1h'),
  );
});
