import { z } from 'zod';
import { NAME_PATTERN } from './ids.js';

/**
 * Roles inside one project, weakest first: a viewer reads; an operator also creates, deletes, powers and
 * applies; an admin also manages members, budgets and provider bindings. Organisation admins hold every role
 * in every project.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** True when `held` includes everything `needed` allows. */
export function roleCovers(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** The weaker of two roles (a token never grants more than its owner holds). */
export function weakerRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}

export const PrincipalKind = z.enum(['user', 'service']);
export type PrincipalKind = z.infer<typeof PrincipalKind>;

const ProjectName = z.string().regex(NAME_PATTERN, { message: 'project names are 1-63 lowercase letters, digits or "-"' });

export const RoleBinding = z.object({ project: ProjectName, role: Role }).strict().meta({ id: 'RoleBinding' });
export type RoleBinding = z.infer<typeof RoleBinding>;

/** Who a request acts for, with the rights it carries (already narrowed by the token's scope, if any). */
export interface Principal {
  id: string;
  name: string;
  kind: PrincipalKind;
  /** Organisation admin, and not narrowed by a token scope. */
  orgAdmin: boolean;
  /** Effective role per project. */
  roles: ReadonlyMap<string, Role>;
  /** How this request proved who it is. */
  via: 'token' | 'session';
  /** The API token or session this request came with (for audit and revocation). */
  credentialId: string;
}

export const PrincipalView = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: PrincipalKind,
    orgAdmin: z.boolean(),
    roles: z.array(RoleBinding),
    via: z.enum(['token', 'session']),
    credentialId: z.string(),
  })
  .meta({ id: 'Principal' });

export const UserView = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: PrincipalKind,
    displayName: z.string().nullable(),
    email: z.string().nullable(),
    orgAdmin: z.boolean(),
    source: z.enum(['local', 'saml']),
    roles: z.array(RoleBinding.extend({ source: z.enum(['manual', 'saml']) })),
    createdAt: z.string(),
    lastLoginAt: z.string().nullable(),
  })
  .meta({ id: 'User' });
export type UserView = z.infer<typeof UserView>;

export const ServiceAccountCreate = z
  .object({
    name: z.string().regex(NAME_PATTERN, { message: 'service account names are 1-63 lowercase letters, digits or "-"' }),
    displayName: z.string().max(200).optional(),
  })
  .strict()
  .meta({ id: 'ServiceAccountCreate' });
export type ServiceAccountCreate = z.infer<typeof ServiceAccountCreate>;

/** The longest life a token may be given; a token without an expiry still expires after this. */
export const MAX_TOKEN_DAYS = 366;

export const TokenCreate = z
  .object({
    name: z.string().min(1).max(100).describe('what the token is for, e.g. "ci-deploy"'),
    /** Whose rights the token carries; omitted: the caller's own. Another principal's needs org admin. */
    principal: z.string().max(128).optional().describe('user or service account name; omitted: yourself'),
    /** Narrows the token to these projects and at most these roles; omitted: everything the principal holds. */
    scopes: z.array(RoleBinding).max(100).optional(),
    expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).default(90),
  })
  .strict()
  .meta({ id: 'TokenCreate' });
export type TokenCreate = z.infer<typeof TokenCreate>;

export const TokenView = z
  .object({
    id: z.string(),
    name: z.string(),
    principal: z.string(),
    scopes: z.array(RoleBinding).nullable(),
    createdAt: z.string(),
    expiresAt: z.string(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'Token' });
export type TokenView = z.infer<typeof TokenView>;

/** A new token: the only answer that ever carries its secret. */
export const TokenCreated = TokenView.extend({ secret: z.string().describe('shown once; store it now') }).meta({ id: 'TokenCreated' });
export type TokenCreated = z.infer<typeof TokenCreated>;
