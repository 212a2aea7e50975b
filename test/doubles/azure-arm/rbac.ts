import { ArmError } from './arm-error.js';
import type { ServicePrincipal } from './entra-id.js';

/**
 * Azure RBAC as ARM enforces it, reduced to what the double needs: each request needs one action on its own
 * scope (`AuthorizationFailed`, 403), and a write that references another resource — a NIC joining a subnet, a
 * VM using a NIC or an image — also needs that resource's join/read action (`LinkedAuthorizationFailed`, 403).
 * A principal's granted actions may use `*` as role definitions do. Scopes are not modelled: a grant holds
 * everywhere in the subscription.
 */

export function allows(principal: ServicePrincipal, action: string): boolean {
  if (!principal.actions) return true;
  return principal.actions.some((granted) => globMatches(granted, action));
}

function globMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i');
  return re.test(action);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function authorizationFailed(clientId: string, action: string, scope: string): ArmError {
  return new ArmError(
    403,
    'AuthorizationFailed',
    `The client '${clientId}' with object id '${clientId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

export function linkedAuthorizationFailed(clientId: string, action: string, scope: string, linkedAction: string, linkedScope: string): ArmError {
  return new ArmError(
    403,
    'LinkedAuthorizationFailed',
    `The client '${clientId}' with object id '${clientId}' has permission to perform action '${action}' on scope '${scope}'; however, it does not have permission to perform action(s) '${linkedAction}' on the linked scope(s) '${linkedScope}' (respectively) or the linked scope(s) are invalid.`,
  );
}
