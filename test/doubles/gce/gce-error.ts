/**
 * An error the Compute Engine API answers with, in Google's JSON error envelope:
 * `{"error": {"code": 403, "message": …, "errors": [{"message", "domain", "reason"}], "status": "PERMISSION_DENIED"}}`.
 * `reason` is the legacy per-error reason GCE still sends (`rateLimitExceeded`, `notFound`, `invalid`, …);
 * `status` is the canonical gRPC status name of AIP-193.
 */
export class GceError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly reason: string,
    message: string,
    readonly status: string,
    readonly domain: string = 'global',
    /** Sent as a `Retry-After` header and a google.rpc.RetryInfo detail. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'GceError';
  }

  envelope(): unknown {
    const details =
      this.retryAfterSeconds === undefined ? undefined : [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${this.retryAfterSeconds}s` }];
    return {
      error: {
        code: this.httpStatus,
        message: this.message,
        errors: [{ message: this.message, domain: this.domain, reason: this.reason }],
        status: this.status,
        ...(details && { details }),
      },
    };
  }
}

export function notFound(resource: string): GceError {
  return new GceError(404, 'notFound', `The resource '${resource}' was not found`, 'NOT_FOUND');
}

export function invalidField(field: string, value: string, why: string): GceError {
  return new GceError(400, 'invalid', `Invalid value for field '${field}': '${value}'. ${why}`, 'INVALID_ARGUMENT');
}

export function badRequest(message: string): GceError {
  return new GceError(400, 'badRequest', message, 'INVALID_ARGUMENT');
}

export function alreadyExists(resource: string): GceError {
  return new GceError(409, 'alreadyExists', `The resource '${resource}' already exists`, 'ALREADY_EXISTS');
}

export function resourceNotReady(resource: string): GceError {
  return new GceError(400, 'resourceNotReady', `The resource '${resource}' is not ready`, 'FAILED_PRECONDITION');
}

export function forbidden(permission: string, resource: string): GceError {
  return new GceError(403, 'forbidden', `Required '${permission}' permission for '${resource}'`, 'PERMISSION_DENIED');
}

export function quotaExceeded(metric: string, limit: number, region: string): GceError {
  return new GceError(403, 'quotaExceeded', `Quota '${metric}' exceeded.  Limit: ${limit.toFixed(1)} in region ${region}.`, 'PERMISSION_DENIED', 'usageLimits');
}

/** GCE's API rate limit: 403 `rateLimitExceeded` classically, 429 on the newer front ends. */
export function rateLimited(httpStatus: 403 | 429, reason: 'rateLimitExceeded' | 'userRateLimitExceeded', retryAfterSeconds: number): GceError {
  const message = reason === 'rateLimitExceeded' ? 'Rate Limit Exceeded' : 'User Rate Limit Exceeded';
  return new GceError(httpStatus, reason, message, httpStatus === 429 ? 'RESOURCE_EXHAUSTED' : 'PERMISSION_DENIED', 'usageLimits', retryAfterSeconds);
}

export function backendError(): GceError {
  return new GceError(503, 'backendError', 'The service is currently unavailable.', 'UNAVAILABLE');
}

export function unauthenticated(message: string): GceError {
  return new GceError(401, 'authError', message, 'UNAUTHENTICATED');
}
