import { decryptSecret, encryptSecret, type SecretKey } from './secrets.js';

/**
 * Text that must not be stored or shown in the clear (a cluster node's user data carries its CA key and join
 * token): kept as `tessera-sealed:<AES-256-GCM ciphertext>` under the server's secret key, and opened only at the
 * moment it is handed to a provider. Anyone reading the API sees ciphertext.
 */
export const SEALED_PREFIX = 'tessera-sealed:';

export interface TextSealer {
  seal(text: string): string;
  /** The plaintext of a sealed text; any other text unchanged. */
  open(text: string): string;
}

export function isSealed(text: string): boolean {
  return text.startsWith(SEALED_PREFIX);
}

export function textSealer(key: SecretKey): TextSealer {
  return {
    seal: (text) => SEALED_PREFIX + encryptSecret(key, { text }),
    open: (text) => (isSealed(text) ? String(decryptSecret(key, text.slice(SEALED_PREFIX.length))['text']) : text),
  };
}
