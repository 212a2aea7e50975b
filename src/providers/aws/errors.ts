import { ProviderError, type ErrorClass } from '../driver.js';
import { SOCKET_ERROR_CODES } from '../socket-errors.js';

/**
 * Maps what @aws-sdk/client-ec2 throws — once its own retries are spent — to Tessera's error classes. Two shapes
 * arrive: a service error (EC2's `Code` as the error's `name`, the HTTP status in `$metadata`, `$fault` client
 * or server) and a transport error (a Node socket error, or the SDK's TimeoutError), where EC2 said nothing.
 */

/** Where a failed call was going and what it was for, so every message names the provider, region and action. */
export interface Ec2CallContext {
  provider: string;
  region: string;
  /** The EC2 API action, e.g. `RunInstances`: also the IAM permission `ec2:<action>`. */
  action: string;
  /** In words, e.g. `launch instance web-1`. */
  what: string;
  /** Which credentials were used, e.g. `the access key AKIA… stored for this provider`. */
  credentials: string;
  /** The EC2 endpoint, when it is not AWS's own. */
  endpoint?: string;
}

/** EC2's codes by class (EC2 API reference, error codes); anything else is decided by its HTTP status. */
const THROTTLE = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'RequestThrottled', 'EC2ThrottledException']);
const CAPACITY = new Set(['InsufficientInstanceCapacity', 'InsufficientHostCapacity', 'Unsupported', 'InsufficientCapacity', 'UnfulfillableCapacity', 'InsufficientFreeAddressesInSubnet']);
const QUOTA = new Set(['InstanceLimitExceeded', 'VcpuLimitExceeded', 'MaxSpotInstanceCountExceeded']);
const NOT_FOUND = new Set(['InvalidInstanceID.NotFound']);
/** The credentials themselves, or the account, are the problem. */
const CREDENTIALS = new Set(['AuthFailure', 'SignatureDoesNotMatch', 'InvalidClientTokenId', 'ExpiredToken', 'OptInRequired', 'Blocked', 'PendingVerification']);
/** Client errors that may succeed when repeated: the instance is between states. */
const TRANSIENT_CLIENT = new Set(['IncorrectInstanceState', 'RequestExpired']);

/** Transport failures: EC2 was not reached, or did not answer in time. */

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; attempts?: number; requestId?: string };
  $response?: { headers?: Record<string, string | undefined> };
}

export function classifyEc2Error(e: unknown, ctx: Ec2CallContext): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = (e ?? {}) as SdkError;
  const code = err.name ?? 'Error';
  const status = err.$metadata?.httpStatusCode;
  const attempts = err.$metadata?.attempts;
  const said = (err.message ?? String(e)).trim();
  const where = `aws provider '${ctx.provider}' could not ${ctx.what} in ${ctx.region}`;
  const tries = attempts && attempts > 1 ? ` after ${attempts} attempts` : '';
  const make = (cls: ErrorClass, message: string, retryAfterSeconds?: number) => new ProviderError(cls, message, ctx.provider, code, retryAfterSeconds);

  if (status === undefined) {
    // No HTTP answer at all: the socket failed or the SDK gave up waiting.
    const netCode = err.code ?? code;
    if (SOCKET_ERROR_CODES.has(netCode) || code === 'TimeoutError' || code === 'RequestTimeout' || /socket hang up/i.test(said)) {
      const endpoint = ctx.endpoint ?? `the EC2 endpoint of ${ctx.region}`;
      return new ProviderError('Retryable', `${where}: ${endpoint} did not answer${tries} (${netCode}: ${said}); Tessera retries`, ctx.provider, netCode);
    }
  }

  if (THROTTLE.has(code)) return make('Retryable', `${where}: EC2 is throttling this account's requests${tries} (${code}: ${said}); Tessera backs off and retries`, retryAfterOf(err));
  if (CAPACITY.has(code)) return make('Capacity', `${where}: ${said} (${code}); try another zone, region or flavor`);
  if (QUOTA.has(code)) return make('Quota', `${where}: ${said} (${code}); request a higher limit in the Service Quotas console, or use another region`);
  if (NOT_FOUND.has(code)) return make('NotFound', `${where}: ${said} (${code})`);
  if (code === 'UnauthorizedOperation') return make('Invalid', `${where}: ${said} (${code}); ${permissionAdvice(ctx)}`);
  if (CREDENTIALS.has(code)) return make('Invalid', `${where}: ${said} (${code}); ${credentialAdvice(code, ctx)}`);
  if (code.startsWith('InvalidAMIID.')) {
    return make('Invalid', `${where}: ${said} (${code}); the AMI must exist in ${ctx.region} and be shared with this account: check the provider's images configuration`);
  }
  if (code === 'IdempotentParameterMismatch') {
    return make('Invalid', `${where}: ${said} (${code}); this create token was already used for a different request in ${ctx.region}, so EC2 will not run it again`);
  }
  if (TRANSIENT_CLIENT.has(code)) return make('Retryable', `${where}: ${said} (${code}); Tessera retries once the instance has settled`);
  if (err.$fault === 'server' || (status !== undefined && status >= 500)) {
    return make('Retryable', `${where}: EC2 failed${tries} (${code}${status ? `, HTTP ${status}` : ''}): ${said}; Tessera retries`, retryAfterOf(err));
  }
  if (status !== undefined && status >= 400) return make('Invalid', `${where}: ${said} (${code})`);
  return make('Retryable', `${where}: ${said} (${code}); Tessera retries`);
}

/** What an UnauthorizedOperation means in IAM terms: the permission, and the identity that lacks it. */
function permissionAdvice(ctx: Ec2CallContext): string {
  const tagging = ctx.action === 'RunInstances' ? ' and ec2:CreateTags on the instances it launches (Tessera tags instances at launch)' : '';
  return `the IAM policy of ${ctx.credentials} must allow ec2:${ctx.action}${tagging}; see the aws provider's minimal IAM policy in the README`;
}

function credentialAdvice(code: string, ctx: Ec2CallContext): string {
  switch (code) {
    case 'SignatureDoesNotMatch':
      return `the secret access key does not belong to the access key id of ${ctx.credentials}: store the matching pair again`;
    case 'ExpiredToken':
      return `the session token of ${ctx.credentials} has expired: store fresh temporary credentials, or use a profile or assumeRole that renews them`;
    case 'OptInRequired':
    case 'Blocked':
    case 'PendingVerification':
      return `the AWS account cannot use EC2 in ${ctx.region} yet: check the account's status and that the region is enabled`;
    default:
      return `AWS did not accept ${ctx.credentials}: check that the access key exists and is active, and that region ${ctx.region} is enabled for the account`;
  }
}

/** Seconds from a `Retry-After` header, when the endpoint sent one (EC2 itself does not). */
function retryAfterOf(err: SdkError): number | undefined {
  const value = err.$response?.headers?.['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
