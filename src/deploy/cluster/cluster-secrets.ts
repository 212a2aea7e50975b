import { createHash, generateKeyPairSync, randomBytes, randomInt, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

/**
 * The secrets a kubeadm cluster is born with. Tessera makes them before any machine exists, so that every
 * machine's user data can be rendered at once: the first control-plane node initialises the cluster with this
 * CA and this token, and the others join by pinning the CA's hash and presenting the token.
 */
export interface ClusterSecrets {
  /** The cluster CA (kubeadm's /etc/kubernetes/pki/ca.crt): kubeadm uses an existing CA instead of making one. */
  caCertPem: string;
  /** Its RSA key, PKCS#1 PEM, as kubeadm writes ca.key. */
  caKeyPem: string;
  /** "sha256:" + hex SHA-256 of the CA's DER SubjectPublicKeyInfo: kubeadm's --discovery-token-ca-cert-hash. */
  caCertHash: string;
  /** `<id>.<secret>`, [a-z0-9]{6}.[a-z0-9]{16}: creates the node's credentials during TLS bootstrap. */
  bootstrapToken: string;
  /** 32 random bytes, hex: encrypts the control-plane certificates `kubeadm init --upload-certs` shares with joiners. */
  certificateKey: string;
}

/** kubeadm's own CA lifetime. */
const CA_YEARS = 10;
/** Certificates are valid a little before now, so a node whose clock is slightly behind still accepts them. */
const CLOCK_SKEW_MS = 5 * 60_000;

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const BOOTSTRAP_TOKEN_PATTERN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

function randomTokenPart(length: number): string {
  // randomInt draws without modulo bias (a byte % 36 would favour the first four characters).
  let out = '';
  for (let i = 0; i < length; i++) out += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return out;
}

/** A fresh bootstrap token in kubeadm's format. */
export function newBootstrapToken(): string {
  return `${randomTokenPart(6)}.${randomTokenPart(16)}`;
}

/**
 * The discovery hash of a certificate, computed with node-forge from the certificate's public key. (The tests
 * recompute it with node:crypto, so the two implementations check each other.)
 */
export function discoveryHashOfCertificate(certificatePem: string): string {
  const cert = forge.pki.certificateFromPem(certificatePem);
  const spkiDer = forge.asn1.toDer(forge.pki.publicKeyToAsn1(cert.publicKey)).getBytes();
  return `sha256:${createHash('sha256').update(Buffer.from(spkiDer, 'binary')).digest('hex')}`;
}

/** Makes a cluster's CA (RSA 2048, CN "kubernetes", 10 years), bootstrap token and certificate key. */
export function generateClusterSecrets(clusterName: string, now = new Date()): ClusterSecrets {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const caKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(caKeyPem);

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  // 16 random bytes with the high bit clear: a positive serial number, as RFC 5280 requires.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
  cert.validity.notAfter = notAfter;
  // kubeadm names its CA "kubernetes"; the unit records which Tessera cluster this one belongs to.
  const subject = [
    { name: 'commonName', value: 'kubernetes' },
    { name: 'organizationalUnitName', value: `tessera cluster ${clusterName}`.slice(0, 64) },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    // kubeadm refuses an existing ca.crt that is not a CA.
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  // node-forge ends PEM lines with CRLF; files on the nodes (and kubeadm's own) use LF.
  const caCertPem = forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
  new X509Certificate(caCertPem); // refuse to hand out anything Node's own X.509 parser cannot read

  return {
    caCertPem,
    caKeyPem,
    caCertHash: discoveryHashOfCertificate(caCertPem),
    bootstrapToken: newBootstrapToken(),
    certificateKey: randomBytes(32).toString('hex'),
  };
}
