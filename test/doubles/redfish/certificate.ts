import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

/** A BMC's own TLS identity: a private key and a self-signed certificate, both PEM. */
export interface BmcCertificate {
  keyPem: string;
  certPem: string;
}

/**
 * A self-signed certificate like the ones BMCs ship with. `names` go in the subjectAltName (IP addresses as IP
 * entries, the rest as DNS names); a BMC certificate often names nothing the BMC is reached at, so `[]` is allowed.
 */
export function createBmcCertificate(commonName: string, names: string[] = ['127.0.0.1', 'localhost']): BmcCertificate {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  cert.serialNumber = '0' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const subject = [{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'Redfish double BMC' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const altNames = names.map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? { type: 7, ip: n } : { type: 2, value: n }));
  cert.setExtensions([
    // Self-signed and its own trust anchor, as a pinned BMC certificate is used.
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'extKeyUsage', serverAuth: true },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  new X509Certificate(certPem); // refuse anything Node itself cannot read
  return { keyPem, certPem };
}
