import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError } from '../../core/errors.js';
import { AwsFederation } from '../../identity/federation/aws-federation.js';
import { IDP_METADATA_PATH, IDP_SSO_PATH, tesseraIdp, tesseraIdpMetadataXml } from '../../identity/federation/tessera-idp-metadata.js';
import { principalOf } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { publicBaseUrl } from '../public-url.js';
import { COMMON_ERRORS, itemsOf } from '../schemas.js';

const AwsRole = z
  .object({
    account: z.string().describe('the 12-digit account id'),
    accountName: z.string().nullable(),
    role: z.string().describe('the name to give --role'),
    roleArn: z.string(),
    samlProviderArn: z.string(),
    maxSessionSeconds: z.number(),
  })
  .meta({ id: 'AwsRole' });

const AwsRoleRequest = z
  .object({
    account: z.string().min(1).max(64).describe('account id or name'),
    role: z.string().min(1).max(2048).describe('role ARN or name'),
  })
  .strict();

const AwsCredentialsRequest = AwsRoleRequest.extend({
  durationSeconds: z.number().int().min(900).max(43200).optional().describe("session length; default and maximum: the account's sessionSeconds"),
})
  .strict()
  .meta({ id: 'AwsCredentialsRequest' });

const AwsCredentials = z
  .object({
    accessKeyId: z.string(),
    secretAccessKey: z.string().describe('in this answer only'),
    sessionToken: z.string().describe('in this answer only'),
    expiration: z.string(),
    assumedRoleArn: z.string(),
    account: z.string(),
    role: z.string(),
  })
  .meta({ id: 'AwsCredentials' });

const AwsConsoleSignIn = z
  .object({
    url: z.string().describe("AWS's SAML sign-in endpoint, where the form posts"),
    samlResponse: z.string().describe('the signed SAML response, base64: a bearer credential until expiresAt'),
    html: z.string().describe('a page that posts samlResponse to url as it loads'),
    expiresAt: z.string(),
    account: z.string(),
    role: z.string(),
  })
  .meta({ id: 'AwsConsoleSignIn' });

/**
 * Tessera as a SAML identity provider toward the clouds: its metadata, and for AWS the roles a caller may
 * assume, temporary credentials (STS AssumeRoleWithSAML) and the console sign-in form. See docs/federation.md.
 */
export function federationRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  const aws = new AwsFederation(cp.federation.aws.accounts, () => cp.identity.samlSigningKey());

  return async (app) => {
    app.addHook('onClose', async () => aws.close());

    app.get(
      IDP_METADATA_PATH,
      {
        config: { access: 'public' },
        schema: { summary: "Tessera's SAML identity provider metadata (for IAM, Entra ID, GCP workforce pools)", tags: ['federation'], produces: ['application/samlmetadata+xml'] },
      },
      async (req, reply) => {
        const key = await cp.identity.samlSigningKey();
        const xml = tesseraIdpMetadataXml(tesseraIdp(publicBaseUrl(cp, req)), key.certificatePem);
        return (reply as FastifyReply).type('application/samlmetadata+xml; charset=utf-8').send(xml);
      },
    );

    app.get(IDP_SSO_PATH, { config: { access: 'public' }, schema: { summary: 'Not a sign-in endpoint (see the description)', tags: ['federation'], response: COMMON_ERRORS } }, async () => {
      throw new InvalidInputError(
        'Tessera signs people in to the clouds from its own side and takes no sign-in requests from service providers yet: ' +
          'use tessera cloud console aws --account A --role R (or POST /v1/cloud/aws/console)',
      );
    });

    app.get(
      '/v1/cloud/aws/roles',
      {
        config: { access: 'signed-in' },
        schema: { summary: 'The AWS roles you may assume through Tessera', tags: ['federation'], response: { 200: itemsOf(AwsRole, 'AwsRoleList'), ...COMMON_ERRORS } },
      },
      async (req) => ({ items: aws.roles(principalOf(req)) }),
    );

    app.post(
      '/v1/cloud/aws/credentials',
      {
        config: { access: 'signed-in', action: 'cloud.aws.credentials', answerSecrets: ['secretAccessKey', 'sessionToken'] },
        schema: {
          summary: 'Temporary AWS credentials for a role you may assume (STS AssumeRoleWithSAML; the secrets are in this answer only)',
          tags: ['federation'],
          body: AwsCredentialsRequest,
          response: { 200: AwsCredentials, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const principal = principalOf(req);
        req.auditResourceId = `${req.body.account}/${req.body.role}`; // as asked, should it be refused
        const choice = aws.resolve(principal, req.body.account, req.body.role);
        req.auditResourceId = choice.role.arn;
        return aws.credentials(principal, choice, req.body.durationSeconds, tesseraIdp(publicBaseUrl(cp, req)));
      },
    );

    app.post(
      '/v1/cloud/aws/console',
      {
        // The signed response is a bearer credential for five minutes, in the page too.
        config: { access: 'signed-in', action: 'cloud.aws.console', answerSecrets: ['samlResponse', 'html'] },
        schema: {
          summary: 'A form that signs you in to the AWS console as a role you may assume (it posts to AWS; Tessera calls nothing)',
          tags: ['federation'],
          body: AwsRoleRequest.meta({ id: 'AwsConsoleRequest' }),
          response: { 200: AwsConsoleSignIn, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const principal = principalOf(req);
        req.auditResourceId = `${req.body.account}/${req.body.role}`; // as asked, should it be refused
        const choice = aws.resolve(principal, req.body.account, req.body.role);
        req.auditResourceId = choice.role.arn;
        return aws.consoleSignIn(principal, choice, tesseraIdp(publicBaseUrl(cp, req)));
      },
    );
  };
}
