import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { decryptSecret, encryptSecret, type SecretKey } from '../runtime/secrets.js';
import type { Settings } from '../store/settings.js';

/** Tessera's own SAML key: it signs AuthnRequests and logout messages as a service provider, and assertions as an identity provider toward the clouds. */
export interface SamlSigningKey {
  privateKeyPem: string;
  certificatePem: string;
}

const SETTING = 'saml.signingKey';
const CERT_YEARS = 10;

/**
 * The key made on first use and kept in the database encrypted with the server's secret key, so every server
 * sharing the database signs with the same one (and publishes the same certificate in its metadata).
 */
export async function loadOrCreateSamlSigningKey(settings: Settings, secretKey: SecretKey, commonName: string): Promise<SamlSigningKey> {
  const sealed = await settings.get<string>(SETTING);
  if (sealed) return decryptSecret(secretKey, sealed) as unknown as SamlSigningKey;
  const created = createSigningKey(commonName);
  // Two servers starting at once: the first one stored wins, the other uses it.
  const stored = await settings.putIfAbsent(SETTING, encryptSecret(secretKey, { ...created }));
  return decryptSecret(secretKey, stored) as unknown as SamlSigningKey;
}

/** An RSA-2048 key (made by Node's native crypto) and a self-signed certificate for it (built by node-forge). */
export function createSigningKey(commonName: string, now = new Date()): SamlSigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  // A positive serial number: the first byte's high bit clear.
  cert.serialNumber = '0' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + CERT_YEARS * 365 * 24 * 3600 * 1000);
  const subject = [{ name: 'commonName', value: commonName.slice(0, 64) }, { name: 'organizationName', value: 'Tessera' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.sign(forgeKey, forge.md.sha256.create());
  const certificatePem = forge.pki.certificateToPem(cert);
  new X509Certificate(certificatePem); // refuse to keep anything Node itself cannot read
  return { privateKeyPem, certificatePem };
}

/** The certificate's body as metadata and KeyInfo carry it: base64 DER without the PEM armour. */
export function certificateBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
