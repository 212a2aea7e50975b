import { InvalidInputError } from '../../core/errors.js';
import type { Principal } from '../../core/identity.js';
import type { AwsAccountSettings } from '../../runtime/config.js';
import type { SamlSigningKey } from '../saml-signing-key.js';
import { awsConsoleSignInForm } from './aws-console-form.js';
import { assumableAwsRoles, awsRoleView, resolveAwsRole, type AwsRoleChoice, type AwsRoleView } from './aws-roles.js';
import { AWS_ASSERTION_LIFETIME_MS, AWS_SAML_ENDPOINT, awsSamlResponseXml } from './aws-saml-response.js';
import { AwsStsExchange, type AwsTemporaryCredentials } from './aws-sts.js';
import { signAssertion } from './saml-signer.js';
import type { TesseraIdp } from './tessera-idp-metadata.js';

/** Temporary credentials and what they are for. */
export interface AwsCredentials extends AwsTemporaryCredentials {
  account: string;
  role: string;
}

/** A console sign-in: the signed response, and the page that posts it to AWS. */
export interface AwsConsoleSignIn {
  url: string;
  samlResponse: string;
  html: string;
  /** The response is good until then (AWS takes it for five minutes). */
  expiresAt: string;
  account: string;
  role: string;
}

/**
 * Federation into AWS with Tessera as the SAML identity provider: which roles a principal may assume, temporary
 * credentials through STS AssumeRoleWithSAML, and the console sign-in form. Whoever may assume a role is
 * decided here, from the principal's Tessera rights; what the role may do is decided in AWS, by its policies.
 */
export class AwsFederation {
  private readonly sts = new AwsStsExchange();

  constructor(
    private readonly accounts: readonly AwsAccountSettings[],
    private readonly signingKey: () => Promise<SamlSigningKey>,
  ) {}

  /** The roles the principal may assume. */
  roles(principal: Principal): AwsRoleView[] {
    return assumableAwsRoles(this.accounts, principal).map(awsRoleView);
  }

  /** The role a request names, if the principal may assume it (404 unknown, 403 not granted). */
  resolve(principal: Principal, account: string, role: string): AwsRoleChoice {
    return resolveAwsRole(this.accounts, principal, account, role);
  }

  async credentials(principal: Principal, choice: AwsRoleChoice, durationSeconds: number | undefined, idp: TesseraIdp): Promise<AwsCredentials> {
    const seconds = durationSeconds ?? choice.sessionSeconds;
    if (seconds > choice.sessionSeconds) {
      throw new InvalidInputError(
        `durationSeconds ${seconds} is longer than the ${choice.sessionSeconds} seconds allowed in account ${choice.account.id} ` +
          `(federation.aws.accounts[].sessionSeconds in tessera.yaml): ask for at most ${choice.sessionSeconds}`,
        { field: 'durationSeconds', maximum: choice.sessionSeconds },
      );
    }
    const samlResponse = await this.signedResponse(principal, choice, seconds, idp, new Date());
    const issued = await this.sts.assumeRoleWithSaml({ account: choice.account, roleArn: choice.role.arn, samlResponse, durationSeconds: seconds, metadataUrl: idp.metadataUrl });
    return { ...issued, account: choice.account.id, role: choice.role.arn };
  }

  /** No request goes to AWS: the browser posts the response, and AWS opens the console for the role's session. */
  async consoleSignIn(principal: Principal, choice: AwsRoleChoice, idp: TesseraIdp): Promise<AwsConsoleSignIn> {
    const now = new Date();
    const samlResponse = await this.signedResponse(principal, choice, choice.sessionSeconds, idp, now);
    return {
      url: AWS_SAML_ENDPOINT,
      samlResponse,
      html: awsConsoleSignInForm(samlResponse, `${choice.roleName} in ${choice.account.name ?? choice.account.id}`),
      expiresAt: new Date(now.getTime() + AWS_ASSERTION_LIFETIME_MS).toISOString(),
      account: choice.account.id,
      role: choice.role.arn,
    };
  }

  close(): void {
    this.sts.close();
  }

  /** The signed samlp:Response, base64 — the form both STS and the console sign-in take it in. */
  private async signedResponse(principal: Principal, choice: AwsRoleChoice, sessionSeconds: number, idp: TesseraIdp, now: Date): Promise<string> {
    const xml = awsSamlResponseXml({
      issuer: idp.entityId,
      subject: principal.name,
      roleArn: choice.role.arn,
      samlProviderArn: choice.account.samlProviderArn,
      sessionSeconds,
      now,
    });
    return Buffer.from(signAssertion(xml, await this.signingKey()), 'utf8').toString('base64');
  }
}
