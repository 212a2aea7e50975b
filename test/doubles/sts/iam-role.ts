import { createHash } from 'node:crypto';

/** An IAM role whose trust policy lets one SAML provider assume it with sts:AssumeRoleWithSAML. */
export interface RoleConfig {
  /** `arn:aws:iam::ACCOUNT:role/[PATH/]NAME` */
  arn: string;
  /** The SAML provider named as the `Federated` principal of the role's trust policy. */
  trustedProviderArn: string;
  /** The role's MaxSessionDuration: IAM allows 3600 to 43200 seconds and defaults to 3600. */
  maxSessionDurationSeconds?: number;
}

export interface IamRole {
  arn: string;
  accountId: string;
  /** The last part of the ARN; the path is not part of the assumed-role ARN. */
  name: string;
  /** Stands in for IAM's unique role ID (AROA…): derived from the ARN, so stable across calls. */
  uniqueId: string;
  trustedProviderArn: string;
  maxSessionDurationSeconds: number;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function loadIamRole(config: RoleConfig): IamRole {
  const arn = ROLE_ARN.exec(config.arn);
  if (!arn) throw new Error(`not an IAM role ARN: ${config.arn}`);
  const maxSessionDurationSeconds = config.maxSessionDurationSeconds ?? 3600;
  if (!Number.isInteger(maxSessionDurationSeconds) || maxSessionDurationSeconds < 3600 || maxSessionDurationSeconds > 43200) {
    throw new Error(`MaxSessionDuration of ${config.arn} must be an integer from 3600 to 43200, got ${maxSessionDurationSeconds}`);
  }
  const digest = createHash('sha256').update(config.arn).digest();
  return {
    arn: config.arn,
    accountId: arn[1]!,
    name: arn[2]!,
    uniqueId: 'AROA' + Array.from(digest.subarray(0, 17), (byte) => BASE32[byte % 32]).join(''),
    trustedProviderArn: config.trustedProviderArn,
    maxSessionDurationSeconds,
  };
}
