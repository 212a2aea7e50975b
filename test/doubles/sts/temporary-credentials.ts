import { randomBytes } from 'node:crypto';

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Fresh random credentials shaped like STS's, so code that checks shapes accepts them: an `ASIA` access key ID
 * (the prefix of temporary keys) of 20 characters, a 40-character secret, and an opaque session token.
 */
export function mintTemporaryCredentials(expiration: Date): TemporaryCredentials {
  return {
    accessKeyId: 'ASIA' + Array.from(randomBytes(16), (byte) => BASE32[byte % 32]).join(''),
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(360).toString('base64'),
    expiration,
  };
}
