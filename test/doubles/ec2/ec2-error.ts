/**
 * An error EC2 answers with: the code and HTTP status are EC2's (client errors 4xx, server errors 5xx, per the
 * API reference's error-code pages), the message follows EC2's wording where it is known. `reason` is the
 * double's own diagnosis, kept in its call record only.
 */
export class Ec2Error extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    readonly reason: string = message,
  ) {
    super(message);
    this.name = 'Ec2Error';
  }
}

export const clientError = (code: string, message: string, reason?: string) => new Ec2Error(code, 400, message, reason);

export function authFailure(reason: string): Ec2Error {
  return new Ec2Error('AuthFailure', 401, 'AWS was not able to validate the provided access credentials', reason);
}

export function unauthorizedOperation(accountId: string, accessKeyId: string, action: string, region: string): Ec2Error {
  return new Ec2Error(
    'UnauthorizedOperation',
    403,
    `You are not authorized to perform this operation. User: arn:aws:iam::${accountId}:user/${accessKeyId} is not authorized to perform: ec2:${action} ` +
      `on resource: arn:aws:ec2:${region}:${accountId}:* because no identity-based policy allows the ec2:${action} action.`,
    `the access key ${accessKeyId} is denied ${action}`,
  );
}

export function requestLimitExceeded(): Ec2Error {
  // EC2 lists RequestLimitExceeded among its server errors and answers it with 503.
  return new Ec2Error('RequestLimitExceeded', 503, 'Request limit exceeded.', 'injected fault: throttling');
}

export function internalError(): Ec2Error {
  return new Ec2Error('InternalError', 500, 'An internal error has occurred', 'injected fault: server error');
}

export function missingParameter(name: string): Ec2Error {
  return clientError('MissingParameter', `The request must contain the parameter ${name}`);
}

export function invalidParameterValue(message: string): Ec2Error {
  return clientError('InvalidParameterValue', message);
}

export function malformedId(kind: 'InvalidInstanceID' | 'InvalidAMIID' | 'InvalidSubnetID' | 'InvalidGroupId', id: string, prefix: string): Ec2Error {
  return clientError(`${kind}.Malformed`, `Invalid id: "${id}" (expecting "${prefix}-...")`);
}

export function instancesNotFound(ids: string[]): Ec2Error {
  return ids.length === 1
    ? clientError('InvalidInstanceID.NotFound', `The instance ID '${ids[0]}' does not exist`)
    : clientError('InvalidInstanceID.NotFound', `The instance IDs '${ids.join(', ')}' do not exist`);
}
