import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { ServiceAccountPublicKey } from './oauth-token.js';

/** A service-account JSON key as the Cloud console downloads it (the fields `tessera provider credentials` stores). */
export interface ServiceAccountKeyFile {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
}

/** A fresh RSA key pair for a test service account: the key file for the driver, the public key for the double. */
export function makeServiceAccountKey(project: string, account = 'tessera'): { keyFile: ServiceAccountKeyFile; publicKey: ServiceAccountPublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const email = `${account}@${project}.iam.gserviceaccount.com`;
  return {
    keyFile: {
      type: 'service_account',
      project_id: project,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey,
      client_email: email,
      client_id: String(100000000000000000000n + BigInt(Math.floor(Math.random() * 1e12))),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
    },
    publicKey: { email, publicKeyPem: publicKey },
  };
}
