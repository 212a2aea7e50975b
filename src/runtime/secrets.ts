import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Provider credentials are encrypted at rest with AES-256-GCM under one key per installation. The key is a
 * KeyObject rather than a Buffer so that it prints and serialises as an opaque object, never as its bytes.
 */
export type SecretKey = KeyObject;

/** The key is malformed or unusable; the installation cannot start until it is fixed. */
export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

/** A stored secret cannot be decrypted with this key: the key changed, or the stored text was altered. */
export class SecretMismatchError extends Error {
  override readonly name = 'SecretMismatchError';
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT_VERSION = 'v1';
const KEY_FILE_NAME = 'secret.key';
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=?$/;

/**
 * The installation's key: TESSERA_SECRET_KEY if set, else `<dataDir>/secret.key`, which is created (mode 0600)
 * on first start. The key file holds base64 text, so its content can be moved into TESSERA_SECRET_KEY as is.
 */
export function loadSecretKey(options: { dataDir: string; env: NodeJS.ProcessEnv }): SecretKey {
  const fromEnv = options.env.TESSERA_SECRET_KEY;
  if (fromEnv !== undefined && fromEnv !== '') {
    return parseKey(fromEnv.trim(), 'TESSERA_SECRET_KEY', 'make one with `openssl rand -base64 32`');
  }
  const keyFile = join(options.dataDir, KEY_FILE_NAME);
  return parseKey(
    readOrCreateKeyFile(keyFile),
    `the key file ${keyFile}`,
    'restore it from a backup (a new key cannot decrypt credentials stored under the old one)',
  );
}

/** Encrypts a JSON-serialisable object as `v1:<iv>:<tag>:<ciphertext>` (base64 parts, a fresh random IV each time). */
export function encryptSecret(key: SecretKey, plaintext: Record<string, unknown>): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(plaintext), 'utf8'), cipher.final()]);
  return [FORMAT_VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64')).join(':');
}

/** Reverses encryptSecret; any mismatch of key or text raises SecretMismatchError, which never quotes the text. */
export function decryptSecret(key: SecretKey, sealed: string): Record<string, unknown> {
  const [version, ...encoded] = sealed.split(':');
  if (version !== FORMAT_VERSION || encoded.length !== 3) {
    throw new SecretMismatchError(
      `A stored secret is not in a format this Tessera reads (expected "${FORMAT_VERSION}:<iv>:<tag>:<ciphertext>"); ` +
        'it was written by another version or altered. Store the credentials again.',
    );
  }
  const [iv, tag, ciphertext] = encoded.map((part) => Buffer.from(part, 'base64')) as [Buffer, Buffer, Buffer];
  try {
    // authTagLength pins the tag to full length: GCM would otherwise accept a truncated, forgeable tag.
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    return JSON.parse(plaintext) as Record<string, unknown>;
  } catch {
    throw new SecretMismatchError(
      'A stored secret could not be decrypted: the secret key does not match the one it was encrypted with, ' +
        'or the stored value was altered. Restore the original key (TESSERA_SECRET_KEY or <dataDir>/secret.key), ' +
        'or store the credentials again.',
    );
  }
}

function parseKey(text: string, source: string, remedy: string): SecretKey {
  if (HEX_KEY.test(text)) return createSecretKey(Buffer.from(text, 'hex'));
  if (BASE64_KEY.test(text)) return createSecretKey(Buffer.from(text, 'base64'));
  // The length is safe to report; the value is a secret, even when malformed.
  throw new SecretKeyError(
    `The secret key in ${source} is malformed: it must be ${KEY_BYTES} bytes written as 64 hex characters or as ` +
      `44 characters of base64, but it is ${text.length} characters long; ${remedy}.`,
  );
}

function readOrCreateKeyFile(keyFile: string): string {
  try {
    return readFileSync(keyFile, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  // Written whole under a private name and then linked into place: link fails if the file exists, so two
  // processes starting together agree on one key, and neither can read a half-written file.
  const pending = `${keyFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(pending, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(pending, keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(pending);
  }
  return readFileSync(keyFile, 'utf8').trim();
}
