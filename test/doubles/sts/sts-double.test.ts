import { createHash } from 'node:crypto';
import { AssumeRoleWithSAMLCommand, STSClient, type AssumeRoleWithSAMLCommandInput } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStsDouble, type RecordedStsCall, type StsDouble } from './server.js';
import {
  assertionOf,
  AWS_SAML_ENDPOINT,
  buildSamlResponse,
  createSigningIdentity,
  idpMetadataXml,
  mutateSamlResponse,
  ROLE_ATTRIBUTE,
  ROLE_SESSION_NAME_ATTRIBUTE,
  roleAttributeValue,
  samlAssertionParameter,
  setAttributeValues,
  signAssertion,
  signResponse,
  wrapSignedAssertion,
  type SamlResponseSpec,
  type SigningIdentity,
  type WrappingAttack,
} from './test-assertions.js';

const ACCOUNT = '123456789012';
const TESSERA_PROVIDER = `arn:aws:iam::${ACCOUNT}:saml-provider/Tessera`;
const LEGACY_PROVIDER = `arn:aws:iam::${ACCOUNT}:saml-provider/Legacy`;
const TESSERA_ENTITY_ID = 'https://tessera.test/saml/idp';
/** Trusts Tessera; IAM's default MaxSessionDuration (1 h). */
const OPERATORS = `arn:aws:iam::${ACCOUNT}:role/Operators`;
/** Trusts Tessera; sessions of up to 12 h. What a forged assertion tries to reach. */
const ADMINS = `arn:aws:iam::${ACCOUNT}:role/Admins`;
/** Trusts only the legacy IdP. */
const AUDITORS = `arn:aws:iam::${ACCOUNT}:role/Auditors`;
const MINUTE = 60_000;

let tesseraIdp: SigningIdentity;
let attacker: SigningIdentity;
let sts: StsDouble;
let client: STSClient;

beforeAll(async () => {
  tesseraIdp = createSigningIdentity('Tessera test IdP');
  attacker = createSigningIdentity('Attacker');
  sts = await startStsDouble({
    providers: [
      { arn: TESSERA_PROVIDER, metadataXml: idpMetadataXml(TESSERA_ENTITY_ID, tesseraIdp.certificatePem) },
      { arn: LEGACY_PROVIDER, certificatePem: createSigningIdentity('Legacy IdP').certificatePem },
    ],
    roles: [
      { arn: OPERATORS, trustedProviderArn: TESSERA_PROVIDER },
      { arn: ADMINS, trustedProviderArn: TESSERA_PROVIDER, maxSessionDurationSeconds: 43200 },
      { arn: AUDITORS, trustedProviderArn: LEGACY_PROVIDER },
    ],
  });
  // No credentials: AssumeRoleWithSAML is unsigned, and the SDK chooses its noAuth scheme for it.
  client = new STSClient({ region: 'us-east-1', endpoint: sts.url });
});

afterAll(async () => {
  client?.destroy();
  await sts?.stop();
});

/** An unsigned Response from Tessera's IdP mapping the user to Operators (and, unless overridden, nothing else). */
function tesseraResponse(spec: Partial<SamlResponseSpec> = {}): string {
  return buildSamlResponse({ issuer: TESSERA_ENTITY_ID, roles: [roleAttributeValue(OPERATORS, TESSERA_PROVIDER)], ...spec });
}

function signedByTessera(spec: Partial<SamlResponseSpec> = {}): string {
  return signAssertion(tesseraResponse(spec), tesseraIdp);
}

function assume(responseXml: string, input: Partial<AssumeRoleWithSAMLCommandInput> = {}) {
  return client.send(new AssumeRoleWithSAMLCommand({ RoleArn: OPERATORS, PrincipalArn: TESSERA_PROVIDER, SAMLAssertion: samlAssertionParameter(responseXml), ...input }));
}

/** Sends once, expects the SDK to throw `errorName` without retrying, and returns the double's record of the call. */
async function expectRejected(responseXml: string, errorName: string, input: Partial<AssumeRoleWithSAMLCommandInput> = {}): Promise<RecordedStsCall> {
  const before = sts.calls.length;
  const error = await assume(responseXml, input).then(
    () => new Error('expected AssumeRoleWithSAML to fail, but it returned credentials'),
    (e: Error) => e,
  );
  expect(error.name).toBe(errorName);
  const calls = sts.calls.slice(before);
  expect(calls).toHaveLength(1);
  return calls[0]!;
}

describe('STS AssumeRoleWithSAML double, driven by @aws-sdk/client-sts', () => {
  it('answers a valid signed assertion with temporary credentials the SDK parses', async () => {
    const before = sts.calls.length;
    const startedAt = Date.now();
    const out = await assume(signedByTessera());
    const finishedAt = Date.now();

    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.Credentials?.SecretAccessKey).toHaveLength(40);
    expect(out.Credentials?.SessionToken?.length).toBeGreaterThan(100);
    // One hour by default, in whole seconds.
    expect(out.Credentials?.Expiration).toBeInstanceOf(Date);
    expect(out.Credentials!.Expiration!.getTime()).toBeGreaterThan(startedAt + 3600_000 - 1000);
    expect(out.Credentials!.Expiration!.getTime()).toBeLessThanOrEqual(finishedAt + 3600_000);
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/Operators/alice@tessera.test`);
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:alice@tessera\.test$/);
    expect(out).toMatchObject({
      Subject: 'alice@tessera.test',
      SubjectType: 'persistent',
      Issuer: TESSERA_ENTITY_ID,
      Audience: AWS_SAML_ENDPOINT,
      PackedPolicySize: 0,
      NameQualifier: createHash('sha1').update(`${TESSERA_ENTITY_ID}${ACCOUNT}/Tessera`).digest('base64'),
    });

    const [call] = sts.calls.slice(before);
    expect(out.$metadata.requestId).toBe(call!.requestId);
    expect(call!.headers.authorization).toBeUndefined();
    expect(call!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(call!.params).toMatchObject({ Action: 'AssumeRoleWithSAML', Version: '2011-06-15', RoleArn: OPERATORS, PrincipalArn: TESSERA_PROVIDER });
    expect(call!.result?.credentials.accessKeyId).toBe(out.Credentials?.AccessKeyId);
  });

  it('accepts a signed Response whose Assertion is not signed itself', async () => {
    const out = await assume(signResponse(tesseraResponse(), tesseraIdp));
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/Operators/alice@tessera.test`);
  });

  it('accepts the Role pair in either order, with a space after the comma as some IdPs send it', async () => {
    const out = await assume(signedByTessera({ roles: [`${TESSERA_PROVIDER}, ${OPERATORS}`] }));
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
  });

  it('lets the same assertion be redeemed again, as AWS documents no replay protection', async () => {
    const response = signedByTessera();
    const first = await assume(response);
    const second = await assume(response);
    expect(second.Credentials?.AccessKeyId).not.toBe(first.Credentials?.AccessKeyId);
  });

  it('tolerates 5 minutes of IdP clock skew on the validity window', async () => {
    const idpClockBehind = new Date(Date.now() - 4 * MINUTE);
    const out = await assume(signedByTessera({ now: idpClockBehind, notOnOrAfter: new Date(Date.now() - 2 * MINUTE), subjectNotOnOrAfter: new Date(Date.now() - 2 * MINUTE) }));
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
  });

  it('answers other actions with InvalidAction in the Query protocol error shape', async () => {
    const res = await fetch(sts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('text/xml');
    const requestId = res.headers.get('x-amzn-requestid');
    expect(await res.text()).toBe(
      [
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">',
        '  <Error>',
        '    <Type>Sender</Type>',
        '    <Code>InvalidAction</Code>',
        '    <Message>Could not find operation GetCallerIdentity for version 2011-06-15</Message>',
        '  </Error>',
        `  <RequestId>${requestId}</RequestId>`,
        '</ErrorResponse>',
        '',
      ].join('\n'),
    );
  });

  describe('session length', () => {
    const adminResponse = (spec: Partial<SamlResponseSpec> = {}) => signedByTessera({ roles: [roleAttributeValue(ADMINS, TESSERA_PROVIDER)], ...spec });
    const lifetimeSeconds = (expiration: Date | undefined) => Math.round((expiration!.getTime() - Date.now()) / 1000);

    it('follows DurationSeconds up to the role maximum', async () => {
      const out = await assume(adminResponse(), { RoleArn: ADMINS, DurationSeconds: 7200 });
      expect(lifetimeSeconds(out.Credentials?.Expiration)).toBeGreaterThan(7190);
    });

    it('is shortened by the SessionDuration attribute and by SessionNotOnOrAfter', async () => {
      const byAttribute = await assume(adminResponse({ sessionDuration: 1800 }), { RoleArn: ADMINS, DurationSeconds: 7200 });
      expect(lifetimeSeconds(byAttribute.Credentials?.Expiration)).toBeLessThanOrEqual(1800);
      expect(lifetimeSeconds(byAttribute.Credentials?.Expiration)).toBeGreaterThan(1790);
      const bySession = await assume(adminResponse({ sessionNotOnOrAfter: new Date(Date.now() + 20 * MINUTE) }), { RoleArn: ADMINS });
      expect(lifetimeSeconds(bySession.Credentials?.Expiration)).toBeLessThanOrEqual(1200);
    });

    it('rejects DurationSeconds beyond the role maximum or under 900 with ValidationError', async () => {
      const tooLong = await expectRejected(signedByTessera(), 'ValidationError', { DurationSeconds: 7200 });
      expect(tooLong.error?.message).toBe('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
      const tooShort = await expectRejected(signedByTessera(), 'ValidationError', { DurationSeconds: 600 });
      expect(tooShort.error?.message).toMatch(/^1 validation error detected: Value '600' at 'durationSeconds'/);
    });
  });

  describe('rejects an assertion it cannot trust with InvalidIdentityToken', () => {
    it('when nothing is signed', async () => {
      const call = await expectRejected(tesseraResponse(), 'InvalidIdentityTokenException');
      expect(call.httpStatus).toBe(400);
      expect(call.error).toMatchObject({ code: 'InvalidIdentityToken', message: 'Response signature invalid', reason: expect.stringMatching(/neither the Response nor its Assertion is signed/) });
    });

    it("when signed by another key, even with that key's certificate in KeyInfo", async () => {
      const call = await expectRejected(signAssertion(tesseraResponse(), attacker, attacker.certificatePem), 'InvalidIdentityTokenException');
      expect(call.error?.reason).toMatch(/does not verify with any of the provider's 1 certificate/);
    });

    it('when the signed Assertion was changed afterwards', async () => {
      const tampered = mutateSamlResponse(signedByTessera(), (response) => setAttributeValues(assertionOf(response), ROLE_SESSION_NAME_ATTRIBUTE, ['root']));
      const call = await expectRejected(tampered, 'InvalidIdentityTokenException');
      expect(call.error?.reason).toMatch(/does not verify/);
    });

    const attacks: WrappingAttack[] = [
      'forged-assertion-before-signed',
      'forged-assertion-after-signed',
      'signed-assertion-moved-into-extensions',
      'signed-assertion-moved-into-signature-object',
    ];
    it.each(attacks)('when wrapped: %s', async (attack) => {
      const wrapped = wrapSignedAssertion(signedByTessera(), attack, (forged) => setAttributeValues(forged, ROLE_ATTRIBUTE, [roleAttributeValue(ADMINS, TESSERA_PROVIDER)]));
      const call = await expectRejected(wrapped, 'InvalidIdentityTokenException', { RoleArn: ADMINS });
      expect(call.error?.reason).toMatch(/the document holds 2 Assertion elements/);
    });

    it('when the only Assertion sits outside the Response top level', async () => {
      const moved = mutateSamlResponse(signedByTessera(), (response) => {
        const extensions = response.ownerDocument!.createElementNS('urn:oasis:names:tc:SAML:2.0:protocol', 'samlp:Extensions');
        extensions.appendChild(assertionOf(response));
        response.appendChild(extensions);
      });
      const call = await expectRejected(moved, 'InvalidIdentityTokenException');
      expect(call.error?.reason).toMatch(/not directly in the Response/);
    });

    it.each([
      ['the audience is not AWS', { audiences: ['https://other.example/sp'] }, /AWS is not an audience/],
      ['there is no AudienceRestriction', { audiences: [] }, /AWS is not an audience/],
      ['the recipient is not AWS', { recipient: 'https://other.example/acs' }, /Recipient is https:\/\/other\.example\/acs/],
      ['the Issuer is not the provider entityID', { issuer: 'https://impostor.test/idp' }, /not the provider's entityID/],
      ['it is not valid yet (beyond the skew)', { notBefore: new Date(Date.now() + 10 * MINUTE) }, /NotBefore .* is in the future/],
      ['RoleSessionName is missing', { roleSessionName: null }, /^RoleSessionName is required in AuthnResponse$/],
      ['RoleSessionName has a space', { roleSessionName: 'Alice Doe' }, /RoleSessionName is \["Alice Doe"\]/],
      ['SourceIdentity begins with aws:', { sourceIdentity: 'aws:alice' }, /SourceIdentity is/],
      ['there is no Role attribute', { roles: [] }, /no https:\/\/aws\.amazon\.com\/SAML\/Attributes\/Role attribute/],
    ] satisfies Array<[string, Partial<SamlResponseSpec>, RegExp]>)('when %s', async (_, spec, reason) => {
      const call = await expectRejected(signedByTessera(spec), 'InvalidIdentityTokenException');
      expect(call.error?.reason).toMatch(reason);
    });

    it('when PrincipalArn names no SAML provider of the account', async () => {
      const call = await expectRejected(signedByTessera(), 'InvalidIdentityTokenException', { PrincipalArn: `arn:aws:iam::${ACCOUNT}:saml-provider/Nobody` });
      expect(call.error?.message).toBe("Specified provider doesn't exist");
    });
  });

  describe('rejects an authentic but stale assertion with ExpiredTokenException', () => {
    it('when its NotOnOrAfter has passed', async () => {
      const call = await expectRejected(signedByTessera({ now: new Date(Date.now() - 20 * MINUTE) }), 'ExpiredTokenException');
      expect(call.error?.reason).toMatch(/SubjectConfirmationData NotOnOrAfter .* has passed/);
    });

    it('when it was issued more than 5 minutes ago, however long it claims to be valid', async () => {
      const issued = new Date(Date.now() - 6 * MINUTE);
      const inTenMinutes = new Date(Date.now() + 10 * MINUTE);
      const call = await expectRejected(signedByTessera({ now: issued, notOnOrAfter: inTenMinutes, subjectNotOnOrAfter: inTenMinutes }), 'ExpiredTokenException');
      expect(call.error?.message).toBe('Token must be redeemed within 5 minutes of issuance');
    });
  });

  describe('refuses the role with 403 AccessDenied', () => {
    it('when the Role attribute does not map the user to the requested role', async () => {
      const call = await expectRejected(signedByTessera(), 'AccessDenied', { RoleArn: ADMINS });
      expect(call.httpStatus).toBe(403);
      expect(call.error).toMatchObject({ message: 'Not authorized to perform sts:AssumeRoleWithSAML', reason: expect.stringMatching(/does not pair .*Admins/) });
    });

    it('when the role does not trust the provider', async () => {
      const call = await expectRejected(signedByTessera({ roles: [roleAttributeValue(AUDITORS, TESSERA_PROVIDER)] }), 'AccessDenied', { RoleArn: AUDITORS });
      expect(call.error?.reason).toMatch(/trust policy of .*Auditors does not name .*Tessera/);
    });

    it('when the role does not exist', async () => {
      const ghost = `arn:aws:iam::${ACCOUNT}:role/Ghost`;
      const call = await expectRejected(signedByTessera({ roles: [roleAttributeValue(ghost, TESSERA_PROVIDER)] }), 'AccessDenied', { RoleArn: ghost });
      expect(call.error?.reason).toMatch(/Ghost does not exist/);
    });

    it('when the Subject has no NameID', async () => {
      const call = await expectRejected(signedByTessera({ nameId: null }), 'AccessDenied');
      expect(call.error?.reason).toMatch(/no Subject NameID/);
    });
  });

  describe('injected faults', () => {
    it('throttling is retried by the SDK until it succeeds', async () => {
      const before = sts.calls.length;
      sts.setFault({ throttleNext: 2 });
      const out = await assume(signedByTessera());
      expect(out.$metadata.attempts).toBe(3);
      const calls = sts.calls.slice(before);
      expect(calls.map((c) => [c.httpStatus, c.error?.code])).toEqual([
        [400, 'Throttling'],
        [400, 'Throttling'],
        [200, undefined],
      ]);
      expect(calls.map((c) => c.headers['amz-sdk-request'])).toEqual(['attempt=1; max=3', 'attempt=2; max=3', 'attempt=3; max=3']);
    });

    it('a 503 is retried by the SDK; a 500 that persists surfaces as InternalFailure', async () => {
      sts.setFault({ serverErrorNext: 1, status: 503 });
      await expect(assume(signedByTessera())).resolves.toMatchObject({ $metadata: { attempts: 2 } });

      const before = sts.calls.length;
      sts.setFault({ serverErrorNext: 3 });
      await expect(assume(signedByTessera())).rejects.toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500, attempts: 3 } });
      expect(sts.calls.slice(before).map((c) => c.error?.code)).toEqual(['InternalFailure', 'InternalFailure', 'InternalFailure']);
    });
  });
});
