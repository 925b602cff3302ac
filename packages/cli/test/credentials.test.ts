/**
 * The credentials file: where it lives, one token per platform URL, written 0600 in a 0700
 * folder without leaving temp files, and refused (with the fix in the message) when it is a link,
 * another user's, open to others or not JSON — never with the token in the message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkToken,
  configDir,
  credentialsPath,
  platformKey,
  readCredentials,
  removeCredentials,
  saveCredentials,
  savedToken,
} from '../src/credentials.ts';

const fresh = () => ({ ASPORA_CONFIG_DIR: join(mkdtempSync(join(tmpdir(), 'aspora-cred-')), 'aspora') });
const mode = (p: string) => statSync(p).mode & 0o777;

test('the folder is ASPORA_CONFIG_DIR, else $XDG_CONFIG_HOME/aspora, else ~/.config/aspora', () => {
  assert.equal(configDir({ ASPORA_CONFIG_DIR: '/a/b', XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/a/b');
  assert.equal(configDir({ XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/x/aspora');
  assert.equal(configDir({ HOME: '/h' }), '/h/.config/aspora');
  // A relative XDG_CONFIG_HOME is invalid by the XDG spec: ignored, not resolved against the cwd.
  assert.equal(configDir({ XDG_CONFIG_HOME: 'rel', HOME: '/h' }), '/h/.config/aspora');
  assert.equal(credentialsPath({ ASPORA_CONFIG_DIR: '/a' }), '/a/credentials.json');
});

test('a platform URL is keyed by scheme, host, port and path, without a trailing slash', () => {
  assert.equal(platformKey('http://127.0.0.1:4000'), 'http://127.0.0.1:4000');
  assert.equal(platformKey('HTTP://LOCALHOST:4000///'), 'http://localhost:4000');
  assert.equal(platformKey('https://aspora.example.com:443/'), 'https://aspora.example.com');
  assert.equal(platformKey('http://aspora.example.com:80'), 'http://aspora.example.com');
  assert.equal(platformKey('https://x.example.com/aspora/'), 'https://x.example.com/aspora');
  assert.equal(platformKey('http://user:pw@h:4000/?q=1#f'), 'http://h:4000');
  assert.notEqual(platformKey('http://127.0.0.1:4000'), platformKey('http://127.0.0.1:4100'));
  assert.notEqual(platformKey('http://h:4000'), platformKey('https://h:4000'));
  assert.throws(() => platformKey('127.0.0.1:4000'), /not http or https|not a URL/);
  assert.throws(() => platformKey('not a url'), /not a URL/);
});

test('saving writes the file 0600 in a 0700 folder, atomically, one entry per platform', () => {
  const env = fresh();
  const path = saveCredentials('http://127.0.0.1:4000/', 'tok-a', env);
  assert.equal(path, credentialsPath(env));
  assert.equal(mode(path), 0o600);
  assert.equal(mode(configDir(env)), 0o700);
  saveCredentials('https://aspora.example.com', 'tok-b', env);
  saveCredentials('HTTP://127.0.0.1:4000', 'tok-a2', env); // the same platform as the first: replaced
  assert.equal(mode(path), 0o600);
  assert.deepEqual(readdirSync(configDir(env)), ['credentials.json'], 'no temp file left behind');
  const file = JSON.parse(readFileSync(path, 'utf8'));
  assert.deepEqual(Object.keys(file.platforms).sort(), ['http://127.0.0.1:4000', 'https://aspora.example.com']);
  assert.equal(savedToken('http://127.0.0.1:4000', env), 'tok-a2');
  assert.equal(savedToken('https://aspora.example.com:443/', env), 'tok-b');
  assert.equal(savedToken('http://127.0.0.1:4100', env), undefined);
});

test('an existing folder keeps its mode; the file is still 0600', () => {
  const env = fresh();
  mkdirSync(env.ASPORA_CONFIG_DIR, { mode: 0o755 });
  chmodSync(env.ASPORA_CONFIG_DIR, 0o755);
  assert.equal(mode(saveCredentials('http://h:1', 't', env)), 0o600);
  assert.equal(mode(env.ASPORA_CONFIG_DIR), 0o755);
});

test('removing forgets one platform and keeps the others', () => {
  const env = fresh();
  saveCredentials('http://a:1', 'ta', env);
  saveCredentials('http://b:1', 'tb', env);
  assert.equal(removeCredentials('http://a:1/', env), true);
  assert.equal(removeCredentials('http://a:1', env), false);
  assert.deepEqual(Object.keys(readCredentials(env).platforms), ['http://b:1']);
  assert.equal(mode(credentialsPath(env)), 0o600);
  assert.equal(removeCredentials('http://c:1', fresh()), false, 'no file: nothing to remove, no file made');
});

test('no file means no saved token', () => {
  const env = fresh();
  assert.equal(savedToken('http://127.0.0.1:4000', env), undefined);
  assert.deepEqual(readCredentials(env).platforms, {});
});

test('a file others may read (or write) is refused, saying how to fix it, without the token', () => {
  for (const m of [0o644, 0o640, 0o604, 0o620]) {
    const env = fresh();
    const path = saveCredentials('http://h:1', 'secret-token-value', env);
    chmodSync(path, m);
    assert.throws(
      () => savedToken('http://h:1', env),
      (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.match(e.message, new RegExp(`open to other users \\(mode 0${m.toString(8)}\\)`));
        assert.match(e.hint!, new RegExp(`chmod 600 ${path}`));
        assert.doesNotMatch(`${e.message} ${e.hint}`, /secret-token-value/);
        return true;
      },
    );
    // Saving reads the file first: it refuses too, rather than quietly rewriting an exposed file.
    assert.throws(() => saveCredentials('http://h:2', 't2', env), /open to other users/);
    chmodSync(path, 0o600);
    assert.equal(savedToken('http://h:1', env), 'secret-token-value');
  }
});

test('a symbolic link is never followed, for reading or writing', () => {
  const env = fresh();
  const elsewhere = fresh();
  const target = saveCredentials('http://h:1', 'planted', elsewhere);
  mkdirSync(env.ASPORA_CONFIG_DIR, { recursive: true });
  symlinkSync(target, credentialsPath(env));
  assert.throws(
    () => savedToken('http://h:1', env),
    (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /is a symbolic link, which is not followed/);
      assert.match(e.hint!, /replace the link/);
      assert.doesNotMatch(e.message, /planted/);
      return true;
    },
  );
  assert.throws(() => saveCredentials('http://h:2', 'mine', env), /symbolic link/);
  assert.throws(() => removeCredentials('http://h:1', env), /symbolic link/);
  assert.deepEqual(Object.keys(readCredentials(elsewhere).platforms), ['http://h:1'], 'the target is untouched');
});

test('a dangling link, a folder or a FIFO in its place is refused too', () => {
  const env = fresh();
  mkdirSync(env.ASPORA_CONFIG_DIR, { recursive: true });
  symlinkSync('/nonexistent/credentials.json', credentialsPath(env));
  assert.throws(() => savedToken('http://h:1', env), /symbolic link/);
  const env2 = fresh();
  mkdirSync(credentialsPath(env2), { recursive: true });
  assert.throws(() => savedToken('http://h:1', env2), /not a regular file/);
  // A FIFO would block a plain open until someone writes to it: refused at once instead.
  const env3 = fresh();
  mkdirSync(env3.ASPORA_CONFIG_DIR, { recursive: true });
  execFileSync('mkfifo', ['-m', '600', credentialsPath(env3)]);
  assert.throws(() => savedToken('http://h:1', env3), /not a regular file/);
});

test("another user's file is refused", { skip: process.getuid?.() !== 0 && 'needs root to chown' }, () => {
  const env = fresh();
  const path = saveCredentials('http://h:1', 't', env);
  chownSync(path, 4242, 4242);
  assert.throws(() => savedToken('http://h:1', env), /belongs to another user \(uid 4242\)/);
});

test('a file that is not JSON, or not of this shape, is refused with a hint', () => {
  for (const text of ['{not json', '[]', '{"platforms":{"http://h:1":{"tok":"x"}}}']) {
    const env = fresh();
    const path = saveCredentials('http://h:1', 't', env);
    writeFileSync(path, text, { mode: 0o600 });
    assert.throws(
      () => savedToken('http://h:1', env),
      (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.match(e.hint!, /aspora login/);
        return true;
      },
    );
  }
});

test('a token must fit an Authorization header; the error never repeats it', () => {
  assert.equal(checkToken('  asp_abc \n'), 'asp_abc');
  for (const bad of ['', '   ', 'asp abc', 'asp\u0000x', 'aspé', 'x'.repeat(4097)]) {
    assert.throws(
      () => checkToken(bad),
      (e: Error) => {
        if (bad.trim().length > 3) assert.ok(!e.message.includes(bad.trim()), e.message);
        return true;
      },
    );
  }
  assert.throws(() => saveCredentials('http://h:1', 'bad token', fresh()), /spaces/);
});
