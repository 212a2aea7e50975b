import type { protos } from '@google-cloud/compute';
import { ProviderError } from '../driver.js';
import type { ComputeClients } from './clients.js';
import { classifyOperationError, type CallContext } from './errors.js';
import { sleep, withRetries, type RetryPolicy } from './retry.js';

type Operation = protos.google.cloud.compute.v1.IOperation;

export interface OperationWaitOptions {
  clients: ComputeClients;
  project: string;
  retry: RetryPolicy;
  pollIntervalMs: number;
  timeoutMs: number;
}

/**
 * Follows a zonal operation to DONE with `zoneOperations.wait`, which GCE holds open until the operation is done
 * or about two minutes have passed; asked again after `pollIntervalMs` while it is not. Returns the DONE
 * operation, or null when `timeoutMs` ran out first (the operation goes on without us).
 */
export async function waitForOperation(opts: OperationWaitOptions, zone: string, operation: Operation, ctx: CallContext): Promise<Operation | null> {
  const deadline = Date.now() + opts.timeoutMs;
  let op = operation;
  for (;;) {
    if (op.status === 'DONE') return op;
    if (Date.now() >= deadline) return null;
    const name = op.name;
    if (!name) throw new ProviderError('Retryable', `gcp provider '${ctx.provider}' could not ${ctx.action}: GCE answered with an operation without a name`, ctx.provider, 'OperationWithoutName');
    const [next] = await withRetries(opts.retry, { ...ctx, action: `${ctx.action} (waiting for operation ${name})` }, () =>
      opts.clients.zoneOperations.wait({ project: opts.project, zone, operation: name }),
    );
    op = next;
    if (op.status !== 'DONE') await sleep(Math.min(opts.pollIntervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** The classified failure of a DONE operation, or null when it succeeded. */
export function operationFailure(op: Operation, ctx: CallContext): ProviderError | null {
  const errors = op.error?.errors ?? [];
  if (errors.length === 0) return null;
  return classifyOperationError(
    { errors: errors.map((e) => ({ code: e.code ?? 'UNKNOWN', message: e.message ?? '' })), httpStatus: op.httpErrorStatusCode ?? null },
    ctx,
  );
}
