import { createPrivateKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_TOKEN_PATTERN, discoveryHashOfCertificate, generateClusterSecrets, newBootstrapToken } from '../../../src/deploy/cluster/cluster-secrets.js';
import { sharedSecrets, spkiHashWithNodeCrypto } from './cluster-fixtures.js';

const DAY_MS = 24 * 3600 * 1000;

describe('generateClusterSecrets', () => {
  const secrets = sharedSecrets();

  it('makes a CA certificate: CN kubernetes, a CA, self-issued, valid for about ten years from now', () => {
    const cert = new X509Certificate(secrets.caCertPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toMatch(/CN=kubernetes/);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    const from = new Date(cert.validFrom).getTime();
    const to = new Date(cert.validTo).getTime();
    expect(Math.abs(from - Date.now())).toBeLessThan(DAY_MS);
    expect((to - from) / DAY_MS).toBeGreaterThan(10 * 365 - 2);
    expect((to - from) / DAY_MS).toBeLessThan(10 * 366 + 2);
    expect(cert.publicKey.asymmetricKeyType).toBe('rsa');
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('marks the CA for certificate and CRL signing, critically', () => {
    const cert = forge.pki.certificateFromPem(secrets.caCertPem);
    const basic = cert.getExtension('basicConstraints') as { cA?: boolean; critical?: boolean } | null;
    const usage = cert.getExtension('keyUsage') as { keyCertSign?: boolean; cRLSign?: boolean; digitalSignature?: boolean; critical?: boolean } | null;
    expect(basic).toMatchObject({ cA: true, critical: true });
    expect(usage).toMatchObject({ keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  });

  it('gives the key that belongs to the certificate, in PEM', () => {
    expect(secrets.caKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(secrets.caCertPem).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
    expect(new X509Certificate(secrets.caCertPem).checkPrivateKey(createPrivateKey(secrets.caKeyPem))).toBe(true);
  });

  it('hashes the CA public key exactly as kubeadm pins it (recomputed with node:crypto)', () => {
    expect(secrets.caCertHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(secrets.caCertHash).toBe(spkiHashWithNodeCrypto(secrets.caCertPem));
    expect(discoveryHashOfCertificate(secrets.caCertPem)).toBe(secrets.caCertHash);
  });

  it('makes a kubeadm bootstrap token and a 32-byte certificate key', () => {
    expect(secrets.bootstrapToken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(secrets.certificateKey).toMatch(/^[0-9a-f]{64}$/);
    const tokens = new Set(Array.from({ length: 200 }, () => newBootstrapToken()));
    expect(tokens.size).toBe(200);
    for (const t of tokens) expect(t).toMatch(BOOTSTRAP_TOKEN_PATTERN);
  });

  it('makes different secrets for every cluster', () => {
    const other = generateClusterSecrets('staging');
    expect(other.caCertHash).not.toBe(secrets.caCertHash);
    expect(other.bootstrapToken).not.toBe(secrets.bootstrapToken);
    expect(other.certificateKey).not.toBe(secrets.certificateKey);
    expect(new X509Certificate(other.caCertPem).subject).toMatch(/OU=tessera cluster staging/);
  });
});
