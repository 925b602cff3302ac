/**
 * Envelope encryption for the secrets vault: each team's values are sealed with AES-256-GCM under
 * a data key of that team, and each data key is stored only wrapped (AES-256-GCM again) by a
 * master key that never leaves the platform's memory. Rotating the master key re-wraps the data
 * keys and leaves every sealed value as it is, so rotation takes no downtime: a data key wrapped
 * by the previous master stays readable until it is re-wrapped.
 *
 * The associated data binds each ciphertext to where it belongs (team and secret name for a value;
 * team and data-key id for a wrapped key): a sealed value copied to another name or team fails to
 * open instead of being served as that other secret.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AsporaError } from '@aspora/sdk';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Largest secret value sealed: far above any token, key or certificate. */
export const MAX_SECRET_BYTES = 64 * 1024;

/** A master key and its id (the first 8 bytes of its SHA-256, hex): which key wrapped what. */
export interface MasterKey {
  id: string;
  key: Buffer;
}

/** A data key as stored: wrapped by the master key `masterId`. */
export interface WrappedKey {
  id: string;
  team: string;
  masterId: string;
  wrapped: Buffer;
}

/** A sealed value as stored: nonce ‖ ciphertext ‖ tag, under data key `keyId`. */
export interface SealedValue {
  keyId: string;
  sealed: Buffer;
}

export function masterKey(key: Buffer): MasterKey {
  if (key.length !== KEY_BYTES)
    throw new AsporaError('CONFIG_INVALID', `a master key is ${KEY_BYTES} bytes; got ${key.length}`, {
      hint: 'ASPORA_MASTER_KEY holds 32 random bytes as base64 or hex (openssl rand -base64 32)',
    });
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

/**
 * ASPORA_MASTER_KEY as base64 or hex. The value itself never appears in an error: only its
 * length, which says what is wrong without telling anything of it.
 */
export function parseMasterKey(text: string): MasterKey {
  const t = text.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (bytes.length !== KEY_BYTES || (!/^[0-9a-f]{64}$/i.test(t) && bytes.toString('base64') !== t))
    throw new AsporaError(
      'CONFIG_INVALID',
      `ASPORA_MASTER_KEY is not 32 bytes of base64 or hex (${t.length} characters)`,
      {
        hint: 'generate one with: openssl rand -base64 32',
      },
    );
  return masterKey(bytes);
}

function seal(key: Buffer, plain: Buffer, aad: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(aad, 'utf8'));
  return Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]);
}

function open(key: Buffer, box: Buffer, aad: string, what: string): Buffer {
  if (box.length < NONCE_BYTES + TAG_BYTES) throw corrupt(what);
  const d = createDecipheriv('aes-256-gcm', key, box.subarray(0, NONCE_BYTES));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(box.subarray(box.length - TAG_BYTES));
  try {
    return Buffer.concat([d.update(box.subarray(NONCE_BYTES, box.length - TAG_BYTES)), d.final()]);
  } catch {
    throw corrupt(what);
  }
}

function corrupt(what: string): AsporaError {
  return new AsporaError('INTERNAL', `${what} does not open: it was changed, moved, or sealed under another key`, {
    hint: 'set the secret again; if every secret fails, the master key is not the one they were sealed with',
  });
}

const keyAad = (team: string, id: string) => `aspora-data-key\0${team}\0${id}`;
const valueAad = (team: string, name: string) => `aspora-secret\0${team}\0${name}`;

/**
 * The master keys the platform holds: the current one wraps new data keys, the previous ones only
 * unwrap what they wrapped until rotation has re-wrapped it.
 */
export class KeyRing {
  readonly #byId = new Map<string, Buffer>();
  readonly current: MasterKey;

  constructor(current: MasterKey, previous: MasterKey[] = []) {
    this.current = current;
    for (const k of [current, ...previous]) this.#byId.set(k.id, k.key);
  }

  /** A new data key for `team`, returned wrapped (to store) and in the clear (to use now). */
  newDataKey(team: string): { stored: WrappedKey; key: Buffer } {
    const id = randomBytes(8).toString('hex');
    const key = randomBytes(KEY_BYTES);
    return {
      stored: { id, team, masterId: this.current.id, wrapped: seal(this.current.key, key, keyAad(team, id)) },
      key,
    };
  }

  unwrap(w: WrappedKey): Buffer {
    const master = this.#byId.get(w.masterId);
    if (!master)
      throw new AsporaError(
        'UNAVAILABLE',
        `data key ${w.id} of team ${w.team} is wrapped by master key ${w.masterId}, which this platform does not hold`,
        {
          hint: 'start the platform with that master key as the current or a previous one (ASPORA_MASTER_KEY_PREVIOUS), then rotate',
        },
      );
    const key = open(master, w.wrapped, keyAad(w.team, w.id), `data key ${w.id} of team ${w.team}`);
    if (key.length !== KEY_BYTES) throw corrupt(`data key ${w.id} of team ${w.team}`);
    return key;
  }

  /** The same data key wrapped by the current master key (rotation); unchanged when it already is. */
  rewrap(w: WrappedKey): WrappedKey {
    if (w.masterId === this.current.id) return w;
    const key = this.unwrap(w);
    return { ...w, masterId: this.current.id, wrapped: seal(this.current.key, key, keyAad(w.team, w.id)) };
  }
}

export function sealSecret(
  dataKey: { id: string; key: Buffer },
  team: string,
  name: string,
  value: string,
): SealedValue {
  const plain = Buffer.from(value, 'utf8');
  if (plain.length > MAX_SECRET_BYTES)
    throw new AsporaError(
      'BAD_REQUEST',
      `secret ${name} is ${plain.length} bytes; at most ${MAX_SECRET_BYTES} are kept`,
      {
        hint: 'store a reference (a path, a URL) to large material instead of the material itself',
      },
    );
  return { keyId: dataKey.id, sealed: seal(dataKey.key, plain, valueAad(team, name)) };
}

export function openSecret(dataKey: { id: string; key: Buffer }, team: string, name: string, v: SealedValue): string {
  if (v.keyId !== dataKey.id)
    throw new AsporaError(
      'INTERNAL',
      `secret ${name} of team ${team} is sealed under data key ${v.keyId}, not ${dataKey.id}`,
    );
  return open(dataKey.key, v.sealed, valueAad(team, name), `secret ${name} of team ${team}`).toString('utf8');
}
