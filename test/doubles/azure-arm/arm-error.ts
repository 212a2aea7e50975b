/**
 * An error ARM answers with: the HTTP status, and the envelope every resource provider uses,
 * `{"error":{"code":"…","message":"…","target":"…"}}` (ARM's RPC "error response content"). Extra headers ride
 * along for the answers that need them (429's Retry-After, 401's WWW-Authenticate).
 */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly target?: string,
  ) {
    super(message);
    this.name = 'ArmError';
  }

  /** The body on the wire. */
  envelope(): { error: { code: string; message: string; target?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.target ? { target: this.target } : {}) } };
  }
}

export function notFound(type: string, name: string, resourceGroup: string): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

export function invalidParameter(message: string, target?: string): ArmError {
  return new ArmError(400, 'InvalidParameter', message, {}, target);
}
