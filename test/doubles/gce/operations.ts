import { API_ROOT } from './catalog.js';
import { gceTimestamp, hex, numericId } from './clock.js';

/** A zonal Operation resource, as `zoneOperations.get` returns it. */
export interface GceOperation {
  kind: 'compute#operation';
  id: string;
  name: string;
  zone: string;
  operationType: string;
  targetLink: string;
  targetId: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  progress: number;
  insertTime: string;
  startTime?: string;
  endTime?: string;
  user: string;
  selfLink: string;
  error?: { errors: { code: string; message: string }[] };
  httpErrorStatusCode?: number;
  httpErrorMessage?: string;
}

export interface OperationFailure {
  code: string;
  message: string;
  httpStatus: number;
  httpMessage: string;
}

interface OperationRecord {
  project: string;
  zone: string;
  operation: GceOperation;
}

/**
 * The project's zonal operations, and the requestId → operation map that makes a repeated mutating call with the
 * same requestId return the first call's operation instead of acting twice (GCE keeps it for at least 60 minutes;
 * the double keeps it for its lifetime).
 */
export class OperationBook {
  private readonly byName = new Map<string, OperationRecord>();
  private readonly byRequestId = new Map<string, string>();

  create(project: string, zone: string, type: string, target: { link: string; id: string }, user: string, requestId: string | null): GceOperation {
    const name = `operation-${Date.now()}-${hex(13)}-${hex(8)}-${hex(8)}`;
    const operation: GceOperation = {
      kind: 'compute#operation',
      id: numericId(),
      name,
      zone: `${API_ROOT}/projects/${project}/zones/${zone}`,
      operationType: type,
      targetLink: target.link,
      targetId: target.id,
      status: 'PENDING',
      progress: 0,
      insertTime: gceTimestamp(new Date()),
      user,
      selfLink: `${API_ROOT}/projects/${project}/zones/${zone}/operations/${name}`,
    };
    this.byName.set(name, { project, zone, operation });
    if (requestId) this.byRequestId.set(`${project}/${requestId}`, name);
    return operation;
  }

  /** The operation an earlier call with this requestId started, if any. */
  byRequest(project: string, requestId: string | null): GceOperation | undefined {
    if (!requestId) return undefined;
    const name = this.byRequestId.get(`${project}/${requestId}`);
    return name === undefined ? undefined : this.byName.get(name)?.operation;
  }

  find(project: string, zone: string, name: string): GceOperation | undefined {
    const record = this.byName.get(name);
    return record && record.project === project && record.zone === zone ? record.operation : undefined;
  }

  all(): GceOperation[] {
    return [...this.byName.values()].map((r) => structuredClone(r.operation));
  }

  static start(op: GceOperation): void {
    op.status = 'RUNNING';
    op.progress = 50;
    op.startTime = gceTimestamp(new Date());
  }

  static finish(op: GceOperation, failure?: OperationFailure): void {
    op.startTime ??= gceTimestamp(new Date());
    op.status = 'DONE';
    op.progress = 100;
    op.endTime = gceTimestamp(new Date());
    if (failure) {
      op.error = { errors: [{ code: failure.code, message: failure.message }] };
      op.httpErrorStatusCode = failure.httpStatus;
      op.httpErrorMessage = failure.httpMessage;
    }
  }
}
