/** The vault's envelope encryption and its master key: sealing, binding, rotation, the key file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing, masterKey, MAX_SECRET_BYTES, openSecret, parseMasterKey, sealSecret } from './envelope.ts';
import { loadKeyRing, MASTER_KEY_FILE } from './master-key.ts';

const ring = () => new KeyRing(masterKey(randomBytes(32)));

test('a value sealed for a team and name opens only there, and its bytes hold nothing of it', () => {
  const r = ring();
  const { stored, key } = r.newDataKey('ecm-ops');
  const dk = { id: stored.id, key: r.unwrap(stored) };
  assert.deepEqual(dk.key, key);
  const v = sealSecret(dk, 'ecm-ops', 'ECM_GATEWAY_KEY', 'sk-live-0123456789');
  assert.equal(openSecret(dk, 'ecm-ops', 'ECM_GATEWAY_KEY', v), 'sk-live-0123456789');
  assert.ok(!v.sealed.includes(Buffer.from('sk-live')), 'no plaintext in the sealed bytes');
  // Sealing twice gives two ciphertexts (a fresh nonce each time).
  assert.notDeepEqual(sealSecret(dk, 'ecm-ops', 'ECM_GATEWAY_KEY', 'sk-live-0123456789').sealed, v.sealed);
  // Moved to another name or team, or changed by one bit: it does not open.
  assert.throws(() => openSecret(dk, 'ecm-ops', 'OTHER_KEY', v), /does not open/);
  assert.throws(() => openSecret(dk, 'fraud-ops', 'ECM_GATEWAY_KEY', v), /does not open/);
  const flipped = Buffer.from(v.sealed);
  flipped[20]! ^= 1;
  assert.throws(() => openSecret(dk, 'ecm-ops', 'ECM_GATEWAY_KEY', { ...v, sealed: flipped }), /does not open/);
  assert.throws(
    () => openSecret(dk, 'ecm-ops', 'ECM_GATEWAY_KEY', { ...v, sealed: v.sealed.subarray(0, 10) }),
    /does not open/,
  );
});

test('a wrapped data key is bound to its team: swapped onto another team it does not unwrap', () => {
  const r = ring();
  const a = r.newDataKey('team-a').stored;
  assert.throws(() => r.unwrap({ ...a, team: 'team-b' }), /does not open/);
});

test('rotation re-wraps data keys under the new master; values sealed before stay readable, with no re-encryption', () => {
  const oldMaster = masterKey(randomBytes(32));
  const before = new KeyRing(oldMaster);
  const { stored } = before.newDataKey('ecm-ops');
  const v = sealSecret({ id: stored.id, key: before.unwrap(stored) }, 'ecm-ops', 'TOKEN', 'value-1');

  const newMaster = masterKey(randomBytes(32));
  const during = new KeyRing(newMaster, [oldMaster]);
  // Readable during rotation, before the key is re-wrapped …
  assert.equal(openSecret({ id: stored.id, key: during.unwrap(stored) }, 'ecm-ops', 'TOKEN', v), 'value-1');
  const rewrapped = during.rewrap(stored);
  assert.equal(rewrapped.masterId, newMaster.id);
  assert.equal(during.rewrap(rewrapped), rewrapped, 're-wrapping a current key changes nothing');
  // … and after it, by the new master alone.
  const after = new KeyRing(newMaster);
  assert.equal(openSecret({ id: stored.id, key: after.unwrap(rewrapped) }, 'ecm-ops', 'TOKEN', v), 'value-1');
  assert.throws(() => after.unwrap(stored), /master key [0-9a-f]{16}, which this platform does not hold/);
});

test('a value over the size bound is refused, naming the secret and not its value', () => {
  const r = ring();
  const { stored } = r.newDataKey('t');
  const dk = { id: stored.id, key: r.unwrap(stored) };
  const big = 'x'.repeat(MAX_SECRET_BYTES + 1);
  assert.throws(
    () => sealSecret(dk, 't', 'BIG', big),
    (e: Error & { code?: string }) =>
      e.code === 'BAD_REQUEST' && e.message.includes('BIG') && !e.message.includes('xxxx'),
  );
});

test('ASPORA_MASTER_KEY is 32 bytes of base64 or hex; a wrong one says so without echoing it', () => {
  const k = randomBytes(32);
  assert.equal(parseMasterKey(k.toString('base64')).id, masterKey(k).id);
  assert.equal(parseMasterKey(k.toString('hex')).id, masterKey(k).id);
  for (const bad of ['', 'short-secret-value', randomBytes(16).toString('base64'), `${k.toString('base64')}!`])
    assert.throws(
      () => parseMasterKey(bad),
      (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && (bad === '' || !e.message.includes(bad)),
    );
});

test('without ASPORA_MASTER_KEY a key file is generated once, mode 0600, and read back by the next start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aspora-master-'));
  try {
    const first = loadKeyRing({}, dir);
    assert.equal(first.from, 'generated');
    const file = join(dir, MASTER_KEY_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file).length, 32);
    const second = loadKeyRing({}, dir);
    assert.equal(second.from, 'file');
    assert.equal(second.ring.current.id, first.ring.current.id);
    // The environment wins over the file; previous keys join the ring.
    const env = {
      ASPORA_MASTER_KEY: randomBytes(32).toString('base64'),
      ASPORA_MASTER_KEY_PREVIOUS: readFileSync(file).toString('base64'),
    };
    const fromEnv = loadKeyRing(env, dir);
    assert.equal(fromEnv.from, 'env');
    const { stored } = first.ring.newDataKey('t');
    assert.equal(
      fromEnv.ring.rewrap(stored).masterId,
      fromEnv.ring.current.id,
      'a key wrapped by the file key unwraps through PREVIOUS',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a key file that is a link, readable by others or of the wrong size is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aspora-master-'));
  const file = join(dir, MASTER_KEY_FILE);
  try {
    const elsewhere = join(dir, 'elsewhere');
    writeFileSync(elsewhere, randomBytes(32), { mode: 0o600 });
    symlinkSync(elsewhere, file);
    assert.throws(() => loadKeyRing({}, dir), /symbolic link/);
    rmSync(file);
    writeFileSync(file, randomBytes(32), { mode: 0o600 });
    chmodSync(file, 0o644);
    assert.throws(() => loadKeyRing({}, dir), /readable by others \(mode 644\)/);
    chmodSync(file, 0o600);
    writeFileSync(file, randomBytes(31));
    assert.throws(() => loadKeyRing({}, dir), /31 bytes, not 32/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
