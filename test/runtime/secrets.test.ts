import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SecretKeyError,
  SecretMismatchError,
  decryptSecret,
  encryptSecret,
  loadSecretKey,
} from '../../src/runtime/secrets.js';

const CREDENTIALS = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI-very-secret' };
const ENV_KEY_BASE64 = Buffer.alloc(32, 7).toString('base64');

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-secrets-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const keyFile = () => join(dataDir, 'secret.key');
const fileKey = () => loadSecretKey({ dataDir, env: {} });

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('encryptSecret / decryptSecret', () => {
  it('round-trips an object', () => {
    const key = fileKey();
    expect(decryptSecret(key, encryptSecret(key, CREDENTIALS))).toEqual(CREDENTIALS);
  });

  it('writes the versioned format with a fresh 12-byte IV each time', () => {
    const key = fileKey();
    const first = encryptSecret(key, CREDENTIALS);
    const second = encryptSecret(key, CREDENTIALS);
    expect(first).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(Buffer.from(first.split(':')[1]!, 'base64')).toHaveLength(12);
    expect(first).not.toBe(second);
    expect(first).not.toContain(CREDENTIALS.secretAccessKey);
  });

  it('detects tampering without revealing the plaintext', () => {
    const key = fileKey();
    const [version, iv, tag, ciphertext] = encryptSecret(key, CREDENTIALS).split(':') as [string, string, string, string];
    const flipped = Buffer.from(ciphertext, 'base64');
    flipped[0]! ^= 0x01;
    const error = thrown(() => decryptSecret(key, [version, iv, tag, flipped.toString('base64')].join(':')));
    expect(error).toBeInstanceOf(SecretMismatchError);
    expect(error.message).toMatch(/key does not match/);
    expect(error.message).not.toContain(CREDENTIALS.secretAccessKey);
  });

  it('refuses a truncated authentication tag', () => {
    const key = fileKey();
    const [version, iv, tag, ciphertext] = encryptSecret(key, CREDENTIALS).split(':') as [string, string, string, string];
    const shortTag = Buffer.from(tag, 'base64').subarray(0, 4).toString('base64');
    expect(() => decryptSecret(key, [version, iv, shortTag, ciphertext].join(':'))).toThrow(SecretMismatchError);
  });

  it('says the key does not match when decrypting under another key', () => {
    const sealed = encryptSecret(fileKey(), CREDENTIALS);
    const otherKey = loadSecretKey({ dataDir, env: { TESSERA_SECRET_KEY: ENV_KEY_BASE64 } });
    expect(() => decryptSecret(otherKey, sealed)).toThrow(/secret key does not match/);
  });

  it('names the expected format when given something else', () => {
    expect(() => decryptSecret(fileKey(), 'plain text')).toThrow(/v1:<iv>:<tag>:<ciphertext>/);
  });
});

describe('loadSecretKey', () => {
  it('creates the key file on first start, readable by the owner only, and reuses it', () => {
    const sealed = encryptSecret(fileKey(), CREDENTIALS);
    expect(statSync(keyFile()).mode & 0o777).toBe(0o600);
    expect(decryptSecret(fileKey(), sealed)).toEqual(CREDENTIALS);
  });

  it('creates the data directory if it does not exist yet', () => {
    const nested = join(dataDir, 'fresh', 'data');
    loadSecretKey({ dataDir: nested, env: {} });
    expect(existsSync(join(nested, 'secret.key'))).toBe(true);
  });

  it('prefers TESSERA_SECRET_KEY to the key file and creates no file then', () => {
    const env = { TESSERA_SECRET_KEY: ENV_KEY_BASE64 };
    const sealed = encryptSecret(loadSecretKey({ dataDir, env }), CREDENTIALS);
    expect(existsSync(keyFile())).toBe(false);
    expect(() => decryptSecret(fileKey(), sealed)).toThrow(SecretMismatchError);
    expect(decryptSecret(loadSecretKey({ dataDir, env }), sealed)).toEqual(CREDENTIALS);
  });

  it('accepts the key as 64 hex characters, the same key as its base64 form', () => {
    const hex = Buffer.alloc(32, 7).toString('hex');
    const sealed = encryptSecret(loadSecretKey({ dataDir, env: { TESSERA_SECRET_KEY: hex } }), CREDENTIALS);
    expect(decryptSecret(loadSecretKey({ dataDir, env: { TESSERA_SECRET_KEY: ENV_KEY_BASE64 } }), sealed)).toEqual(CREDENTIALS);
  });

  it('explains a malformed TESSERA_SECRET_KEY without echoing it', () => {
    const malformed = 'not-a-key-but-maybe-a-password';
    const error = thrown(() => loadSecretKey({ dataDir, env: { TESSERA_SECRET_KEY: malformed } }));
    expect(error).toBeInstanceOf(SecretKeyError);
    expect(error.message).toMatch(/TESSERA_SECRET_KEY is malformed: it must be 32 bytes written as 64 hex characters or as 44 characters of base64/);
    expect(error.message).toMatch(/openssl rand -base64 32/);
    expect(error.message).not.toContain(malformed);
  });

  it('refuses a key file of the wrong length', () => {
    writeFileSync(keyFile(), Buffer.alloc(16, 1).toString('base64'), { mode: 0o600 });
    expect(() => fileKey()).toThrow(/key file .*secret\.key is malformed: it must be 32 bytes/);
  });

  it('reads an existing key file as it is', () => {
    writeFileSync(keyFile(), `${ENV_KEY_BASE64}\n`, { mode: 0o600 });
    const sealed = encryptSecret(loadSecretKey({ dataDir, env: { TESSERA_SECRET_KEY: ENV_KEY_BASE64 } }), CREDENTIALS);
    expect(decryptSecret(fileKey(), sealed)).toEqual(CREDENTIALS);
    expect(readFileSync(keyFile(), 'utf8')).toBe(`${ENV_KEY_BASE64}\n`);
  });

  it('returns a key that never prints its bytes', () => {
    const key = loadSecretKey({ dataDir, env: { TESSERA_SECRET_KEY: ENV_KEY_BASE64 } });
    expect(JSON.stringify({ key })).not.toContain(ENV_KEY_BASE64);
    expect(inspect(key)).not.toContain(ENV_KEY_BASE64);
    expect(String(key)).not.toContain(ENV_KEY_BASE64);
  });
});
