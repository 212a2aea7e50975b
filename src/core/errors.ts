/**
 * One error type per meaning. The API maps each to an HTTP status once (src/api/errors.ts);
 * every message says what was wrong and what to do about it.
 */
export abstract class TesseraError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed or names something that cannot exist (400). */
export class InvalidInputError extends TesseraError {
  readonly status = 400;
  readonly code = 'InvalidInput';
}

/** The named resource does not exist, or is not visible to the caller (404). */
export class NotFoundError extends TesseraError {
  readonly status = 404;
  readonly code = 'NotFound';
}

/** A write raced another one (stale resourceVersion) or a unique name is taken (409). */
export class ConflictError extends TesseraError {
  readonly status = 409;
  readonly code = 'Conflict';
}

/** Well-formed, but no offer or placement satisfies it (422). */
export class UnsatisfiableError extends TesseraError {
  readonly status = 422;
  readonly code = 'Unsatisfiable';
}

/** The same Idempotency-Key was reused for a different request (422). */
export class IdempotencyMismatchError extends TesseraError {
  readonly status = 422;
  readonly code = 'IdempotencyKeyReused';
}

/** A provider or dependency is unavailable right now; retry later (503). */
export class UnavailableError extends TesseraError {
  readonly status = 503;
  readonly code = 'Unavailable';
}

/** No valid credentials came with the request: no token, an unknown, expired or revoked one (401). */
export class UnauthenticatedError extends TesseraError {
  readonly status = 401;
  readonly code = 'Unauthenticated';
}

/** The caller is known but its roles do not allow this (403). */
export class ForbiddenError extends TesseraError {
  readonly status = 403;
  readonly code = 'Forbidden';
}
