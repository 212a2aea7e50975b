import { randomBytes } from 'node:crypto';

/** Prefix per kind keeps ids self-describing in logs and CLI output (`i-…` is an instance). */
export const ID_PREFIX = {
  Instance: 'i',
  Project: 'p',
} as const;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A random, lowercase, URL-safe id such as `i-3k9x0q2m7c1ab4de`. */
export function newId(prefix: string, length = 16): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}-${out}`;
}

const ID_PATTERN = /^[a-z]{1,3}-[0-9a-z]{8,32}$/;

/** True when `value` has the shape of a Tessera id (it may still not exist). */
export function isId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** DNS-label-like names: what providers accept for hostnames, tags and labels alike. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
