import { ArmError } from './arm-error.js';
import type { ServicePrincipal } from './entra-id.js';
import { allows, linkedAuthorizationFailed } from './rbac.js';

/** One authenticated ARM request, routed: what a resource provider's handler gets. */
export interface ArmRequest {
  method: string;
  url: URL;
  /** The resource group in the path, as written; null for subscription-level routes. */
  resourceGroup: string | null;
  /** The resource name in the path; null for collections. */
  name: string | null;
  /** What follows the name: `start`, `instanceView`, …; null for the resource itself. */
  subPath: string | null;
  body: unknown;
  apiVersion: string;
  principal: ServicePrincipal;
  /** The RBAC action this request needs (checked before the handler runs) and the scope it was checked on. */
  action: string;
  scope: string;
}

export interface ArmAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Process the request, then destroy the socket without answering (a lost response). */
  dropConnection?: boolean;
}

/** A write that references another resource needs that resource's own action too (ARM's linked access check). */
export function requireLinked(req: ArmRequest, linkedAction: string, linkedScope: string): void {
  if (!allows(req.principal, linkedAction)) throw linkedAuthorizationFailed(req.principal.clientId, req.action, req.scope, linkedAction, linkedScope);
}

/** The request's JSON body as an object, or ARM's answer to a body that is not one. */
export function bodyObject(req: ArmRequest): Record<string, unknown> {
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
    throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: the body must be a JSON object.');
  }
  return req.body as Record<string, unknown>;
}

export function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
