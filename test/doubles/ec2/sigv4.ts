import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * AWS Signature Version 4 as a server checks it (AWS General Reference, "Create a signed AWS API request"):
 * the Authorization header names the access key and the credential scope (date/region/service/aws4_request);
 * the server rebuilds the canonical request from what it received, derives the signing key from the secret and
 * compares signatures. The region comes from the scope, which is how one endpoint here serves every region.
 */

export interface SignatureClaims {
  accessKeyId: string;
  /** yyyymmdd */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** The claims of a SigV4 Authorization header, or null when the header is absent or not SigV4. */
export function parseAuthorization(header: string | undefined): SignatureClaims | null {
  const m = header ? AUTHORIZATION.exec(header.trim()) : null;
  if (!m) return null;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(';'), signature: m[6]! };
}

export interface ReceivedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Null when the signature is right; otherwise why not (for the double's record). */
export function signatureProblem(req: ReceivedRequest, claims: SignatureClaims, secretAccessKey: string): string | null {
  const amzDate = header(req.headers, 'x-amz-date');
  if (!amzDate || !amzDate.startsWith(claims.date)) return `x-amz-date ${amzDate ?? '(missing)'} does not match the credential scope date ${claims.date}`;
  if (!claims.signedHeaders.includes('host')) return 'the host header is not signed';
  const payloadHash = sha256Hex(req.body);
  const declared = header(req.headers, 'x-amz-content-sha256');
  if (declared !== undefined && declared !== payloadHash) return 'x-amz-content-sha256 does not match the body';

  const [path, query = ''] = req.url.split('?', 2) as [string, string?];
  const canonicalRequest = [
    req.method,
    canonicalPath(path),
    canonicalQuery(query),
    claims.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(req.headers, name)}\n`).join(''),
    claims.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${claims.date}/${claims.region}/${claims.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, claims.date);
  for (const part of [claims.region, claims.service, 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(claims.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'the signature does not match (wrong secret key, or the request was altered)';
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function canonicalHeaderValue(headers: IncomingHttpHeaders, name: string): string {
  return (header(headers, name) ?? '').trim().replace(/\s+/g, ' ');
}

function canonicalPath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeRfc3986(decodeURIComponent(segment)))
    .join('/') || '/';
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  return [...new URLSearchParams(query).entries()]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
