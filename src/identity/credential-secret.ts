import { createHash, randomBytes } from 'node:crypto';

/**
 * The secret half of an API token or session: 256 random bits behind a recognisable prefix (so secret scanners
 * and people can tell a Tessera token when they see one). Only its SHA-256 is stored; a random 256-bit secret
 * needs no slow hash, since it cannot be guessed from a dictionary.
 */
export const TOKEN_PREFIX = 'tsr_';
export const SESSION_PREFIX = 'tss_';

const SECRET_PATTERN = /^(tsr|tss)_[A-Za-z0-9_-]{43}$/;

export function newCredentialSecret(prefix: typeof TOKEN_PREFIX | typeof SESSION_PREFIX): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function hashCredentialSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Shape only: a string that could be a Tessera secret (it may still be unknown, expired or revoked). */
export function looksLikeCredentialSecret(value: string): boolean {
  return SECRET_PATTERN.test(value);
}
