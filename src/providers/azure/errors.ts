import { ProviderError, type ErrorClass } from '../driver.js';
import { SOCKET_ERROR_CODES } from '../socket-errors.js';

/**
 * Maps what the Azure SDKs throw to Tessera's error classes. Four shapes arrive:
 * - a `RestError`: ARM answered with an error status, its envelope `{"error":{"code","message"}}` parsed into
 *   `code` and `message` (or no answer at all: `statusCode` undefined, `code` a socket error such as ECONNREFUSED);
 * - a failed long-running operation: core-lro throws a plain Error whose message is
 *   `The long-running operation has failed. CODE. MESSAGE` — the operation status resource's `error`;
 * - an `AuthenticationRequiredError` / `AuthenticationError` / `CredentialUnavailableError` from @azure/identity:
 *   Entra ID refused the sign-in (its AADSTS code says why) or could not be reached;
 * - an `AbortError`.
 * Both the synchronous answer to a PUT and the final status of its operation go through the same code tables.
 */

/** Where a failed call was going, so every message names the provider and what was being done. */
export interface AzureCallContext {
  provider: string;
  /** e.g. `create VM tsr-i-abc-0 in eastus`. */
  action: string;
}

/** No room for this size here now: try another zone, location or size. */
const CAPACITY_CODES = new Set(['SkuNotAvailable', 'AllocationFailed', 'ZonalAllocationFailed', 'OverconstrainedAllocationRequest', 'OverconstrainedZonalAllocationRequest']);
/** Permanent: the request itself is wrong. */
const INVALID_CODES = new Set([
  'InvalidParameter',
  'InvalidTemplate',
  'ImageNotFound',
  'PlatformImageNotFound',
  'GalleryImageNotFound',
  'InvalidResourceReference',
  'InvalidRequestFormat',
  'InvalidTagNameCharacters',
  'BadRequest',
  'MissingApiVersionParameter',
  'PropertyChangeNotAllowed',
  'NicInUse',
]);
/** ARM's codes for a missing resource. */
const NOT_FOUND_CODES = new Set(['ResourceNotFound', 'NotFound']);
/** ARM asks to come back later: another operation holds the resource, or the platform will retry itself. */
const TRANSIENT_CODES = new Set(['RetryableError', 'AnotherOperationInProgress', 'OperationPreempted', 'Conflict', 'InternalExecutionError', 'InternalOperationError', 'GatewayTimeout', 'ServerTimeout']);
/** The sockets' own codes, and the Azure pipeline's for a request that never got an answer. */
const SOCKET_CODES = new Set([...SOCKET_ERROR_CODES, 'ESOCKETTIMEDOUT', 'REQUEST_SEND_ERROR']);

const LRO_FAILURE = /^The long-running operation has failed\. ([^.\s]+)\. ([\s\S]*)$/;

interface AzureSdkError {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined } };
  errorResponse?: { error?: string; errorDescription?: string };
}

export function classifyAzureError(e: unknown, ctx: AzureCallContext): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = (e ?? {}) as AzureSdkError;
  const make = (cls: ErrorClass, code: string, message: string, retryAfterSeconds?: number) =>
    new ProviderError(cls, `azure provider '${ctx.provider}' could not ${ctx.action}: ${message}`, ctx.provider, code, retryAfterSeconds);

  if (err.name === 'AuthenticationError' || err.name === 'AuthenticationRequiredError') return signInFailed(err, make);
  if (err.name === 'CredentialUnavailableError' || err.name === 'AggregateAuthenticationError') {
    // MSAL could not read the authority's metadata: Entra ID (or the configured authorityHost) is unreachable.
    if (/endpoints_resolution_error|network_error/.test(err.message ?? '')) {
      return make('Retryable', 'AuthenticationUnavailable', `Entra ID could not be reached at the configured authorityHost (${err.message}); Tessera retries`);
    }
    return make('Invalid', 'CredentialUnavailable', `no Azure credential is available (${err.message}); check the provider's credential setting`);
  }
  if (err.name === 'AbortError') return make('Retryable', 'Aborted', 'the call was aborted; Tessera retries');

  const lro = LRO_FAILURE.exec(err.message ?? '');
  if (err.name !== 'RestError' && lro) return byCode(lro[1]!, lro[2]!.trim(), undefined, make, true);

  if (err.name === 'RestError' || err.statusCode !== undefined) {
    if (err.statusCode === undefined) {
      const code = err.code ?? 'REQUEST_SEND_ERROR';
      return make('Retryable', 'ArmUnreachable', `ARM could not be reached (${code}: ${err.message}); Tessera retries`);
    }
    if (err.statusCode === 429) {
      return make('Retryable', 'TooManyRequests', `ARM throttled the request (${err.message}); Tessera waits and retries`, retryAfterOf(err));
    }
    return byCode(err.code ?? '', err.message ?? '', err.statusCode, make, false);
  }
  if (SOCKET_CODES.has(err.code ?? '')) return make('Retryable', 'ArmUnreachable', `ARM could not be reached (${err.code}); Tessera retries`);
  return make('Retryable', 'AzureError', `${err.message ?? String(e)}; Tessera retries`);
}

type Make = (cls: ErrorClass, code: string, message: string, retryAfterSeconds?: number) => ProviderError;

function byCode(code: string, message: string, status: number | undefined, make: Make, fromOperation: boolean): ProviderError {
  const said = `${code || `HTTP ${status}`}: ${message}`;
  if (CAPACITY_CODES.has(code)) return make('Capacity', code, `${said} — try another size, zone or location`);
  if (code === 'QuotaExceeded' || (code === 'OperationNotAllowed' && /quota/i.test(message))) {
    return make('Quota', code, `${said} — request a quota increase for this subscription and location, or place elsewhere`);
  }
  if (code === 'AuthorizationFailed' || code === 'LinkedAuthorizationFailed') return make('Invalid', code, missingRole(message));
  if (status === 401 || code === 'InvalidAuthenticationToken' || code === 'InvalidAuthenticationTokenAudience' || code === 'AuthenticationFailed' || code === 'ExpiredAuthenticationToken') {
    return make('Invalid', code || 'Unauthorized', `${said} — ARM refused Tessera's token: check tenantId and, outside the public cloud, endpoint, authorityHost and tokenScope`);
  }
  if (code === 'ResourceGroupNotFound') return make('Invalid', code, `${said} — create the resource group, or fix resourceGroup in the provider's configuration`);
  if (code === 'SubscriptionNotFound' || code === 'InvalidSubscriptionId') return make('Invalid', code, `${said} — check subscriptionId`);
  if (INVALID_CODES.has(code)) return make('Invalid', code, said);
  if (NOT_FOUND_CODES.has(code) || status === 404) return make('NotFound', code || 'ResourceNotFound', said);
  if (TRANSIENT_CODES.has(code)) return make('Retryable', code, `${said}; Tessera retries`);
  if (status !== undefined && status >= 500) return make('Retryable', code || `HTTP${status}`, `${said}; Tessera retries`);
  // A failed operation with a code not known here is most often the platform's own trouble (it says
  // InternalOperationError, OSProvisioningTimedOut, …): retried, with its words kept for the record.
  if (fromOperation) return make('Retryable', code, `the operation failed with ${said}; Tessera retries`);
  if (code === 'OperationNotAllowed') return make('Invalid', code, said);
  return make(status !== undefined && status >= 400 && status < 500 ? 'Invalid' : 'Retryable', code || `HTTP${status}`, said);
}

/** Which role assignment is missing, read from ARM's own words (it names the action and the scope). */
function missingRole(message: string): string {
  const action = /action '([^']+)'(?: over scope '([^']+)')?/.exec(message);
  const linked = /does not have permission to perform action(?:\(s\))? '([^']+)' on the linked scope\(s\) '([^']+)'/.exec(message);
  const [name, scope] = linked ? [linked[1], linked[2]] : [action?.[1], action?.[2]];
  if (!name) return `ARM refused the call for want of a role assignment (${message}); give Tessera's principal the role in the provider's README`;
  const builtIn = name.startsWith('Microsoft.Network/') ? 'Network Contributor' : 'Virtual Machine Contributor';
  return (
    `Tessera's principal is not allowed '${name}'${scope ? ` on scope '${scope}'` : ''}: assign it a role that grants this action ` +
    `there (the Tessera role of the provider's README, or the built-in '${builtIn}'), then retry. ARM said: ${message}`
  );
}

/** OAuth error codes of the token endpoint that mean the stored credentials or the tenant are wrong. */
const REFUSED_SIGN_IN = new Set(['invalid_client', 'unauthorized_client', 'invalid_request', 'invalid_grant', 'invalid_scope', 'invalid_tenant', 'unsupported_grant_type']);

/**
 * @azure/identity reports a refused sign-in as `CODE: Error(s): … Description: AADSTSnnnn: …` (the token
 * endpoint's `error` and `error_description`); only the AADSTS sentence is kept: it says what is wrong, and
 * the rest is trace ids.
 */
function signInFailed(err: AzureSdkError, make: Make): ProviderError {
  const text = err.message ?? '';
  const code = err.errorResponse?.error ?? /^([a-z_]+):/.exec(text)?.[1] ?? 'AuthenticationFailed';
  const said = /AADSTS\d+: [^.]*\./.exec(err.errorResponse?.errorDescription ?? text)?.[0] ?? text.split('\n')[0];
  const status = err.statusCode;
  if (REFUSED_SIGN_IN.has(code) || (status !== undefined && status >= 400 && status < 500)) {
    return make('Invalid', code, `Entra ID refused Tessera's sign-in (${said}); check the stored tenantId, clientId and clientSecret, and authorityHost`);
  }
  return make('Retryable', 'AuthenticationUnavailable', `signing in to Entra ID failed (${said}); Tessera retries`);
}

function retryAfterOf(err: AzureSdkError): number | undefined {
  const headers = err.response?.headers;
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms') ?? headers.get('x-ms-retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return Math.ceil(ms / 1000);
  const value = headers.get('retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - Date.now()) / 1000)) : undefined;
}

/** True when a long-running operation ended Failed (as opposed to its request failing on the way). */
export function isOperationFailure(e: unknown): boolean {
  const err = e as AzureSdkError | null;
  return err?.name !== 'RestError' && LRO_FAILURE.test(err?.message ?? '');
}

/** True when ARM said the resource does not exist (a 404 of any code). */
export function isArmNotFound(e: unknown): boolean {
  const err = e as AzureSdkError | null;
  return err?.name === 'RestError' && err.statusCode === 404;
}
