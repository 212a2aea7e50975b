import { ForbiddenError, NotFoundError } from '../../core/errors.js';
import { roleCovers, type Principal } from '../../core/identity.js';
import type { AwsAccountSettings, AwsRoleGrant, AwsRoleSettings } from '../../runtime/config.js';
import { roleIn } from '../access.js';

/** What AWS grants a session when neither the request nor the account asks otherwise (AssumeRoleWithSAML's default). */
export const DEFAULT_AWS_SESSION_SECONDS = 3600;

/** One IAM role of one account, as Tessera offers it. */
export interface AwsRoleChoice {
  account: AwsAccountSettings;
  role: AwsRoleSettings;
  /** The role's configured name, else the last part of its ARN. */
  roleName: string;
  /** The longest session Tessera asks for in this account (and the default). */
  sessionSeconds: number;
}

/** The role as the API lists it. */
export interface AwsRoleView {
  account: string;
  accountName: string | null;
  role: string;
  roleArn: string;
  samlProviderArn: string;
  maxSessionSeconds: number;
}

/**
 * True when the principal's rights match one of the role's grants: `{orgAdmin: true}` needs an organisation
 * admin; `{project, role}` needs that role or a stronger one there (an organisation admin holds admin in every
 * project). The principal is the effective one, already narrowed by its token's scopes, so a scoped token never
 * reaches a role its scopes would not.
 */
export function grantsMatch(grants: readonly AwsRoleGrant[], principal: Principal): boolean {
  return grants.some((grant) => {
    if ('orgAdmin' in grant) return principal.orgAdmin;
    const held = roleIn(principal, grant.project);
    return held !== null && roleCovers(held, grant.role);
  });
}

/** Every configured role, in the order of the configuration. */
export function awsRoleChoices(accounts: readonly AwsAccountSettings[]): AwsRoleChoice[] {
  return accounts.flatMap((account) =>
    account.roles.map((role) => ({
      account,
      role,
      roleName: role.name ?? roleNameOf(role.arn),
      sessionSeconds: account.sessionSeconds ?? DEFAULT_AWS_SESSION_SECONDS,
    })),
  );
}

/** The roles the principal may assume. */
export function assumableAwsRoles(accounts: readonly AwsAccountSettings[], principal: Principal): AwsRoleChoice[] {
  return awsRoleChoices(accounts).filter((choice) => grantsMatch(choice.role.grantedTo, principal));
}

/**
 * The role a request names — the account by id or name, the role by ARN, name, or the last part of its ARN —
 * checked against the principal's grants. An unknown account or role is a 404 and a role not granted a 403;
 * both say which roles the principal may assume, so the next try can be the right one.
 */
export function resolveAwsRole(accounts: readonly AwsAccountSettings[], principal: Principal, accountRef: string, roleRef: string): AwsRoleChoice {
  const mayAssume = assumableAwsRoles(accounts, principal);
  const details = { mayAssume: mayAssume.map(awsRoleView) };
  const account = accounts.find((a) => a.id === accountRef || a.name === accountRef);
  if (!account) {
    throw new NotFoundError(`no AWS account "${accountRef}" is configured for federation; ${youMayAssume(mayAssume)}`, details);
  }
  const choice = awsRoleChoices([account]).find(({ role, roleName }) => role.arn === roleRef || roleName === roleRef || roleNameOf(role.arn) === roleRef);
  if (!choice) {
    throw new NotFoundError(`account ${describeAccount(account)} has no role "${roleRef}" configured for federation; ${youMayAssume(mayAssume)}`, details);
  }
  if (!grantsMatch(choice.role.grantedTo, principal)) {
    throw new ForbiddenError(
      `you may not assume ${choice.role.arn}: it is granted to ${describeGrants(choice.role.grantedTo)}, which you are not (with the token you used); ` +
        `${youMayAssume(mayAssume)}`,
      { account: account.id, role: choice.role.arn, ...details },
    );
  }
  return choice;
}

export function awsRoleView(choice: AwsRoleChoice): AwsRoleView {
  return {
    account: choice.account.id,
    accountName: choice.account.name ?? null,
    role: choice.roleName,
    roleArn: choice.role.arn,
    samlProviderArn: choice.account.samlProviderArn,
    maxSessionSeconds: choice.sessionSeconds,
  };
}

/** `arn:aws:iam::123456789012:role/path/Operators` → `Operators`. */
function roleNameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

function describeAccount(account: AwsAccountSettings): string {
  return account.name ? `${account.name} (${account.id})` : account.id;
}

function describeGrants(grants: readonly AwsRoleGrant[]): string {
  return grants.map((g) => ('orgAdmin' in g ? 'organisation admins' : `${g.role}s of project ${g.project}`)).join(' and ');
}

function youMayAssume(choices: readonly AwsRoleChoice[]): string {
  if (choices.length === 0) return 'you may assume no AWS role: ask an organisation admin to grant you one (federation.aws in tessera.yaml)';
  return `you may assume: ${choices.map((c) => `--account ${c.account.name ?? c.account.id} --role ${c.roleName}`).join('; ')}`;
}
