/**
 * An error STS answers with. `code`, `httpStatus` and `message` are what goes on the wire (AWS's wording where
 * AWS documents it); `reason` is the double's own precise diagnosis, kept only in the call record so a test can
 * tell *which* check rejected a request when several would answer with the same AWS code.
 */
export class StsError extends Error {
  readonly type: 'Sender' | 'Receiver';

  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    readonly reason: string = message,
  ) {
    super(message);
    this.name = 'StsError';
    this.type = httpStatus >= 500 ? 'Receiver' : 'Sender';
  }
}

/** The assertion could not be validated (signature, structure, audience, recipient, claims). */
export function invalidIdentityToken(message: string, reason: string = message): StsError {
  return new StsError('InvalidIdentityToken', 400, message, reason);
}

/** The assertion is authentic but too old. */
export function expiredToken(message: string, reason: string = message): StsError {
  return new StsError('ExpiredTokenException', 400, message, reason);
}

/** The assertion is valid but does not entitle the caller to the role (IAM user guide, troubleshoot_saml: 403 AccessDenied). */
export function accessDenied(reason: string): StsError {
  return new StsError('AccessDenied', 403, 'Not authorized to perform sts:AssumeRoleWithSAML', reason);
}

/** The request parameters break the API's constraints. */
export function validationError(message: string): StsError {
  return new StsError('ValidationError', 400, message);
}
