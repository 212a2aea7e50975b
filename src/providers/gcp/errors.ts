import { ProviderError, type ErrorClass } from '../driver.js';
import { SOCKET_ERROR_CODES } from '../socket-errors.js';

/**
 * Maps what the Compute Engine SDK throws, and what a failed Operation carries, to Tessera's error classes.
 *
 * Over the REST transport the SDK surfaces an HTTP failure as the auth client's GaxiosError: `status` is the HTTP
 * status, the body (Google's envelope `{"error": {code, message, errors: [{reason}], status, details}}`) arrives as
 * text, and the response headers (Retry-After) are kept. A failure to connect has no status, only a socket `code`.
 * Failures of the OAuth token endpoint come the same way with OAuth's own body (`{"error": "invalid_grant", …}`).
 */

/** What a failed call was doing, so every message names the provider and the action. */
export interface CallContext {
  provider: string;
  /** e.g. `create instance web-3k9x in us-central1-a`. */
  action: string;
}

interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  errors?: { reason?: string; message?: string; domain?: string }[];
  details?: { '@type'?: string; reason?: string; retryDelay?: unknown }[];
}

interface TransportError {
  status?: number;
  code?: unknown;
  message?: string;
  name?: string;
  response?: { status?: number; data?: unknown; headers?: unknown };
  cause?: { code?: unknown };
  error?: { code?: unknown };
}

/** What one failed call said, read from whichever shape it came in. */
export interface ApiFailure {
  httpStatus: number | null;
  /** The socket error (ECONNREFUSED, ECONNRESET, …) when no answer came. */
  networkCode: string | null;
  /** Google's legacy reasons and ErrorInfo reasons, e.g. `rateLimitExceeded`, `RATE_LIMIT_EXCEEDED`. */
  reasons: string[];
  /** The canonical status name, e.g. `PERMISSION_DENIED`. */
  status: string | null;
  message: string;
  /** From the Retry-After header, else the RetryInfo detail. */
  retryAfterSeconds: number | undefined;
  /** Set when the OAuth token endpoint answered (`invalid_grant`, …). */
  oauthError: string | null;
}

/** The sockets' own codes, and undici's and the fetch timeouts' (the REST transport runs on fetch). */
const NETWORK_CODES = new Set([
  ...SOCKET_ERROR_CODES,
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'AbortError',
  'TimeoutError',
]);

const THROTTLE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED']);
const QUOTA_REASONS = new Set(['quotaExceeded', 'QUOTA_EXCEEDED']);
const CAPACITY_CODES = new Set(['ZONE_RESOURCE_POOL_EXHAUSTED', 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS']);

export function readFailure(e: unknown): ApiFailure {
  const err = (e ?? {}) as TransportError;
  const httpStatus = typeof err.status === 'number' ? err.status : typeof err.response?.status === 'number' ? err.response.status : null;
  const codes = [err.code, err.cause?.code, err.error?.code, err.name].filter((c): c is string => typeof c === 'string');
  const networkCode = httpStatus === null ? (codes.find((c) => NETWORK_CODES.has(c)) ?? null) : null;
  const parsed = parseBody(err.response?.data) ?? parseBody(err.message);
  const body: GoogleErrorBody | null = parsed && typeof parsed.error === 'object' && parsed.error !== null ? (parsed.error as GoogleErrorBody) : null;
  const oauthError = parsed && typeof parsed.error === 'string' ? parsed.error : null;
  const reasons = [
    ...(body?.errors ?? []).map((x) => x.reason),
    ...(body?.details ?? []).filter((d) => d['@type']?.endsWith('google.rpc.ErrorInfo')).map((d) => d.reason),
  ].filter((r): r is string => typeof r === 'string' && r !== '');
  const message = oauthError
    ? `${oauthError}: ${String(parsed?.error_description ?? '')}`
    : (body?.message ?? (typeof err.message === 'string' && err.message.trim() !== '' ? err.message : String(e)));
  return {
    httpStatus,
    networkCode,
    reasons,
    status: body?.status ?? null,
    message,
    retryAfterSeconds: retryAfterHeader(err.response?.headers) ?? retryInfo(body),
    oauthError,
  };
}

export function classifyApiError(e: unknown, ctx: CallContext): ProviderError {
  if (e instanceof ProviderError) return e;
  const f = readFailure(e);
  const make = (cls: ErrorClass, code: string, message: string, retryAfter?: number) => new ProviderError(cls, `gcp provider '${ctx.provider}' could not ${ctx.action}: ${message}`, ctx.provider, code, retryAfter);
  const said = `${f.message}${f.httpStatus !== null ? ` (HTTP ${f.httpStatus}${f.reasons[0] ? ` ${f.reasons[0]}` : ''})` : ''}`;

  if (f.oauthError !== null) {
    if (f.httpStatus !== null && f.httpStatus >= 500) return make('Retryable', 'TokenEndpointUnavailable', `Google's token endpoint failed: ${said}; Tessera retries`);
    return make(
      'Invalid',
      f.oauthError,
      `Google's token endpoint refused the service-account key: ${said}; check that the key stored with \`tessera provider credentials\` is current (not deleted or disabled) and its account is enabled`,
    );
  }
  if (f.httpStatus === null) {
    if (f.networkCode !== null) return make('Retryable', 'NetworkError', `the Compute Engine API could not be reached (${f.networkCode}): ${f.message}; Tessera retries`);
    if (/default credentials/i.test(f.message)) {
      return make('Invalid', 'NoCredentials', `${f.message}; store a service-account key with \`tessera provider credentials NAME --from-file key.json\`, or run where Application Default Credentials exist`);
    }
    if (/DECODER|PEM|private key|asn1/i.test(f.message)) {
      return make('Invalid', 'BadPrivateKey', `the service-account key's private_key could not be used (${f.message}); store the JSON key file exactly as downloaded`);
    }
    return make('Retryable', 'TransportError', `${f.message}; Tessera retries`);
  }

  const throttle = f.reasons.find((r) => THROTTLE_REASONS.has(r));
  if (throttle) return make('Retryable', throttle === 'RATE_LIMIT_EXCEEDED' ? 'rateLimitExceeded' : throttle, `Compute Engine is throttling Tessera: ${said}; Tessera backs off and retries`, f.retryAfterSeconds);
  if (f.reasons.some((r) => QUOTA_REASONS.has(r))) {
    return make('Quota', 'QUOTA_EXCEEDED', `${said}; free some of the quota, raise it (IAM & Admin › Quotas), or place the instance in another region`);
  }
  const capacity = f.reasons.find((r) => CAPACITY_CODES.has(r));
  if (capacity) return make('Capacity', capacity, `${said}; try another zone or machine type`);
  if (f.httpStatus === 429) return make('Retryable', 'rateLimitExceeded', `Compute Engine is throttling Tessera: ${said}; Tessera backs off and retries`, f.retryAfterSeconds);
  if (f.httpStatus === 401) {
    return make('Invalid', 'UNAUTHENTICATED', `Compute Engine did not accept Tessera's credentials: ${said}; check the service-account key or the Application Default Credentials`);
  }
  if (f.httpStatus === 403) return make('Invalid', f.reasons[0] ?? 'forbidden', forbiddenAdvice(f, said));
  if (f.httpStatus === 404) return make('NotFound', f.reasons[0] ?? 'notFound', said);
  if (f.httpStatus === 409) return make('Invalid', f.reasons[0] ?? 'alreadyExists', said);
  if (f.reasons.includes('resourceNotReady')) return make('Retryable', 'resourceNotReady', `${said}; Tessera retries once the instance has settled`);
  if (f.httpStatus >= 500) return make('Retryable', f.reasons[0] ?? 'backendError', `${said}; Tessera retries`, f.retryAfterSeconds);
  return make('Invalid', f.reasons[0] ?? 'invalid', `${said}; check the flavor, image, zone and network asked for`);
}

/** A 403 names what is missing: an IAM permission, an OAuth scope, or the API itself. */
function forbiddenAdvice(f: ApiFailure, said: string): string {
  const permission = /Required '([\w.]+)' permission for '([^']+)'/.exec(f.message);
  if (permission) {
    return `the credentials lack the IAM permission ${permission[1]} on ${permission[2]} (${said}); grant it to the service account (Tessera's minimal role lists every permission it needs)`;
  }
  if (f.reasons.includes('insufficientPermissions') || /scope/i.test(f.message)) {
    return `the access token lacks the compute OAuth scope (${said}); give the credentials the https://www.googleapis.com/auth/compute or cloud-platform scope`;
  }
  if (f.reasons.includes('accessNotConfigured') || /has not been used|is disabled/i.test(f.message)) {
    return `${said}; enable the Compute Engine API for the project (gcloud services enable compute.googleapis.com)`;
  }
  return `permission denied: ${said}; check the service account's IAM roles on the project`;
}

/** An Operation's error, in `error.errors[{code, message}]`: where GCE reports capacity and quota failures. */
export interface OperationError {
  errors: { code: string; message: string }[];
  httpStatus: number | null;
}

export function classifyOperationError(failure: OperationError, ctx: CallContext): ProviderError {
  const codes = failure.errors.map((x) => x.code);
  const said = failure.errors.map((x) => `${x.message} (${x.code})`).join('; ') || `the operation failed (HTTP ${failure.httpStatus ?? '?'})`;
  const make = (cls: ErrorClass, code: string, advice: string) => new ProviderError(cls, `gcp provider '${ctx.provider}' could not ${ctx.action}: ${said}${advice}`, ctx.provider, code);
  const capacity = codes.find((c) => CAPACITY_CODES.has(c));
  if (capacity) return make('Capacity', capacity, '; the zone has no room for this machine type now: try another zone, region or machine type');
  if (codes.some((c) => QUOTA_REASONS.has(c))) return make('Quota', 'QUOTA_EXCEEDED', '; free some of the quota, raise it (IAM & Admin › Quotas), or place the instance in another region');
  if (codes.includes('RATE_LIMIT_EXCEEDED')) return make('Retryable', 'rateLimitExceeded', '; Tessera backs off and retries');
  const code = codes[0] ?? 'OPERATION_FAILED';
  if (failure.httpStatus !== null && failure.httpStatus >= 500) return make('Retryable', code, '; Tessera retries');
  if (codes.includes('RESOURCE_NOT_READY')) return make('Retryable', code, '; Tessera retries once the instance has settled');
  if (failure.httpStatus === 404 || codes.some((c) => /NOT_FOUND/.test(c))) return make('Invalid', code, '; a resource the instance needs does not exist: check the image, machine type and network');
  if (failure.httpStatus !== null && failure.httpStatus < 500) return make('Invalid', code, '');
  return make('Retryable', code, '; Tessera retries');
}

function parseBody(data: unknown): Record<string, unknown> | null {
  if (data && typeof data === 'object' && !Buffer.isBuffer(data)) return data as Record<string, unknown>;
  const text = Buffer.isBuffer(data) ? data.toString('utf8') : typeof data === 'string' ? data : null;
  if (text === null || !text.trimStart().startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function retryAfterHeader(headers: unknown): number | undefined {
  let raw: unknown;
  if (headers && typeof (headers as Headers).get === 'function') raw = (headers as Headers).get('retry-after');
  else if (headers && typeof headers === 'object') raw = (headers as Record<string, unknown>)['retry-after'];
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim());
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** google.rpc.RetryInfo's `retryDelay`, as JSON writes a Duration (`"7s"`, `"1.5s"`). */
function retryInfo(body: GoogleErrorBody | null): number | undefined {
  const info = body?.details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'));
  const delay = info?.retryDelay;
  if (typeof delay === 'string' && /^\d+(\.\d+)?s$/.test(delay)) return Math.ceil(Number(delay.slice(0, -1)));
  if (delay && typeof delay === 'object' && 'seconds' in delay) return Number((delay as { seconds: unknown }).seconds) || undefined;
  return undefined;
}
