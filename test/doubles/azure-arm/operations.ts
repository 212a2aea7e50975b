import { randomUUID } from 'node:crypto';
import { ArmError } from './arm-error.js';
import type { ArmAnswer } from './arm-request.js';

/**
 * ARM's asynchronous operations (the RPC's "Asynchronous Operations" pattern). A long-running PUT, POST or DELETE
 * is answered at once (201 or 202) with two headers: `Azure-AsyncOperation`, the URL of an operation status
 * resource — `{"name","status","startTime","endTime"?,"error"?}`, status `InProgress` until it ends `Succeeded`,
 * `Failed` (with the error envelope's `error`) or `Canceled` — and `Location`, a monitor URL that answers 202
 * while the operation runs and 200 once it is over. Clients poll the first to learn the outcome, then GET the
 * resource (PUT) or the monitor (POST) for the result.
 */

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface AsyncOperation {
  id: string;
  /** `Microsoft.Compute` or `Microsoft.Network`: the provider whose operations URL serves it. */
  provider: string;
  location: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
}

export class AsyncOperations {
  private readonly byId = new Map<string, AsyncOperation>();

  start(provider: string, location: string): AsyncOperation {
    const op: AsyncOperation = { id: randomUUID(), provider, location, status: 'InProgress', startTime: new Date().toISOString() };
    this.byId.set(op.id, op);
    return op;
  }

  get(id: string): AsyncOperation | undefined {
    return this.byId.get(id.toLowerCase());
  }

  succeed(op: AsyncOperation): void {
    op.status = 'Succeeded';
    op.endTime = new Date().toISOString();
  }

  fail(op: AsyncOperation, code: string, message: string): void {
    op.status = 'Failed';
    op.endTime = new Date().toISOString();
    op.error = { code, message };
  }

  /** The operation status resource's body. */
  statusBody(op: AsyncOperation): Record<string, unknown> {
    return {
      name: op.id,
      status: op.status,
      startTime: op.startTime,
      ...(op.endTime ? { endTime: op.endTime } : {}),
      ...(op.error ? { error: op.error } : {}),
    };
  }

  /** The two headers of an accepted long-running request. */
  headers(op: AsyncOperation, baseUrl: string, subscriptionId: string, apiVersion: string): Record<string, string> {
    const url = `${baseUrl}/subscriptions/${subscriptionId}/providers/${op.provider}/locations/${op.location}/operations/${op.id}?api-version=${apiVersion}`;
    return { 'azure-asyncoperation': url, location: `${url}&monitor=true` };
  }
}

/** The answer to a GET of an operation's status URL, or of its monitor URL (`&monitor=true`). */
export function answerOperation(operations: AsyncOperations, operationId: string, url: URL): ArmAnswer {
  const op = operations.get(operationId);
  if (!op) throw new ArmError(404, 'NotFound', `The operation '${operationId}' was not found.`);
  if (url.searchParams.get('monitor') !== 'true') return { status: 200, body: operations.statusBody(op) };
  if (op.status === 'InProgress') return { status: 202, headers: { location: url.toString() } };
  if (op.status === 'Failed') return { status: 400, body: { error: op.error } };
  return { status: 200 };
}
