import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { sql } from 'kysely';
import { SignedXml } from 'xml-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleSessionName } from '../../src/identity/federation/aws-saml-response.js';
import { loadConfig } from '../../src/runtime/config.js';
import { createLogger } from '../../src/runtime/logger.js';
import { runCli } from '../cli/fixtures-cli.js';
import { startStsDouble, type RecordedStsCall, type StsDouble } from '../doubles/sts/server.js';
import { createSigningIdentity, idpMetadataXml } from '../doubles/sts/test-assertions.js';
import { signedIn, startTestPlane, TEST_ADMIN_TOKEN, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';

const PUBLIC_URL = 'https://tessera.test';
const ENTITY_ID = `${PUBLIC_URL}/saml/idp/metadata`;
const AWS_SAML = 'https://signin.aws.amazon.com/saml';

const PROD = '111111111111';
const PROVIDER = `arn:aws:iam::${PROD}:saml-provider/Tessera`;
const LEGACY_PROVIDER = `arn:aws:iam::${PROD}:saml-provider/Legacy`;
/** Granted to operators of project alpha; trusts Tessera; sessions of up to 2 h. */
const OPERATORS = `arn:aws:iam::${PROD}:role/Operators`;
/** Granted to organisation admins; trusts Tessera; IAM's default MaxSessionDuration (1 h). */
const ADMINS = `arn:aws:iam::${PROD}:role/Admins`;
/** Granted to organisation admins in Tessera, but its trust policy names another IdP. */
const UNTRUSTED = `arn:aws:iam::${PROD}:role/Untrusted`;

/** An account whose IAM SAML provider still holds a certificate Tessera does not sign with (stale metadata). */
const STALE = '222222222222';
const STALE_PROVIDER = `arn:aws:iam::${STALE}:saml-provider/Tessera`;
const STALE_ROLE = `arn:aws:iam::${STALE}:role/Operators`;

const ROLE_ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/Role';
const SESSION_NAME_ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/RoleSessionName';
const SESSION_DURATION_ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/SessionDuration';
const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
  assumedRoleArn: string;
  account: string;
  role: string;
}

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/**
 * Tessera as a SAML identity provider toward AWS, end to end: the STS wire double holds, as an IAM SAML provider,
 * the metadata Tessera itself publishes, and the real @aws-sdk/client-sts exchanges Tessera's signed assertions
 * with it. Who may assume what comes from Tessera's rights: the organisation admin, an operator of project alpha
 * (a service account), and that operator's viewer-scoped token.
 */
describe.each(DIALECTS)('federation into AWS on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let sts: StsDouble;
  let metadataXml: string;
  let logged = '';
  const tokens = { operator: '', operatorViewerScope: '' };

  const as = (who: keyof typeof tokens) => signedIn(t.anonymous, tokens[who]);
  const credentials = (client: TestPlane['app'], payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    client.inject({ method: 'POST', url: '/v1/cloud/aws/credentials', payload, headers });

  function ok<T>(res: { statusCode: number; body: string }, status = 200): T {
    expect(res.statusCode, res.body).toBe(status);
    return JSON.parse(res.body) as T;
  }

  function failed(res: { statusCode: number; body: string }, status: number): ErrorBody['error'] {
    expect(res.statusCode, res.body).toBe(status);
    return (JSON.parse(res.body) as ErrorBody).error;
  }

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);

    // As an administrator would: start Tessera, fetch its IdP metadata, create the IAM SAML provider from it
    // (here: the STS double's), then configure federation in tessera.yaml and restart Tessera.
    const first = await startTestPlane(tdb, [], { publicUrl: PUBLIC_URL, background: false });
    metadataXml = (await first.anonymous.inject({ method: 'GET', url: '/saml/idp/metadata' })).body;
    await first.close();

    sts = await startStsDouble({
      providers: [
        { arn: PROVIDER, metadataXml },
        { arn: LEGACY_PROVIDER, certificatePem: createSigningIdentity('Legacy IdP').certificatePem },
        { arn: STALE_PROVIDER, metadataXml: idpMetadataXml(ENTITY_ID, createSigningIdentity('A key Tessera no longer has').certificatePem) },
      ],
      roles: [
        { arn: OPERATORS, trustedProviderArn: PROVIDER, maxSessionDurationSeconds: 7200 },
        { arn: ADMINS, trustedProviderArn: PROVIDER },
        { arn: UNTRUSTED, trustedProviderArn: LEGACY_PROVIDER },
        { arn: STALE_ROLE, trustedProviderArn: STALE_PROVIDER },
      ],
    });

    const configFile = join(tdb.dataDir, 'tessera.yaml');
    writeFileSync(
      configFile,
      `federation:
  aws:
    accounts:
      - id: "${PROD}"
        name: prod
        samlProviderArn: ${PROVIDER}
        stsEndpoint: ${sts.url}
        sessionSeconds: 7200
        roles:
          - { arn: ${OPERATORS}, name: operators, grantedTo: [{ project: alpha, role: operator }] }
          - { arn: ${ADMINS}, name: admins, grantedTo: [{ orgAdmin: true }] }
          - { arn: ${UNTRUSTED}, grantedTo: [{ orgAdmin: true }] }
      - id: "${STALE}"
        name: stale
        samlProviderArn: ${STALE_PROVIDER}
        stsEndpoint: ${sts.url}
        roles:
          - { arn: ${STALE_ROLE}, name: operators, grantedTo: [{ orgAdmin: true }] }
`,
    );
    const { federation } = loadConfig({ path: configFile, env: {} });
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logged += String(chunk);
        cb();
      },
    });
    t = await startTestPlane(tdb, [], { publicUrl: PUBLIC_URL, federation, logger: createLogger({ level: 'trace', destination: sink }), background: false });

    ok(await t.app.inject({ method: 'POST', url: '/v1/projects', payload: { name: 'alpha' } }), 201);
    ok(await t.app.inject({ method: 'POST', url: '/v1/service-accounts', payload: { name: 'operator-sa' } }), 201);
    ok(await t.app.inject({ method: 'PUT', url: '/v1/projects/alpha/members/operator-sa', payload: { role: 'operator' } }));
    tokens.operator = ok<{ secret: string }>(await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'ci', principal: 'operator-sa' } }), 201).secret;
    tokens.operatorViewerScope = ok<{ secret: string }>(
      await as('operator').inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'read-only', scopes: [{ project: 'alpha', role: 'viewer' }] } }),
      201,
    ).secret;
  });

  afterAll(async () => {
    await t?.close();
    await sts?.stop();
    await tdb?.dispose();
  });

  it('publishes IdP metadata at /saml/idp/metadata: its entity id, its signing certificate, persistent NameIDs; the same after a restart', async () => {
    const res = await t.anonymous.inject({ method: 'GET', url: '/saml/idp/metadata' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/samlmetadata\+xml/);
    // The key lives in the database: the restarted server publishes what IAM was given.
    expect(res.body).toBe(metadataXml);
    const root = parse(res.body).documentElement!;
    expect(root.getAttribute('entityID')).toBe(ENTITY_ID);
    const key = await t.cp.identity.samlSigningKey();
    expect(metadataCertificate(res.body).replace(/\s+/g, '')).toBe(key.certificatePem.replace(/-----[^-]+-----|\s+/g, ''));
    expect(res.body).toContain('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(res.body).toContain(`Location="${PUBLIC_URL}/saml/idp/sso"`);
    expect(res.body).not.toContain('PRIVATE KEY');

    // The SSO location the schema requires says what to do instead.
    const sso = failed(await t.anonymous.inject({ method: 'GET', url: '/saml/idp/sso' }), 400);
    expect(sso.message).toMatch(/tessera cloud console aws/);
  });

  it('an organisation admin gets temporary credentials through the AWS SDK; STS received a signed assertion naming exactly that role', async () => {
    const before = sts.calls.length;
    const c = ok<Credentials>(await credentials(t.app, { account: 'prod', role: 'admins', durationSeconds: 3600 }));
    const call = onlyCallSince(before);
    expect(call.httpStatus).toBe(200);
    expect(c).toEqual({
      accessKeyId: call.result!.credentials.accessKeyId,
      secretAccessKey: call.result!.credentials.secretAccessKey,
      sessionToken: call.result!.credentials.sessionToken,
      expiration: call.result!.credentials.expiration.toISOString(),
      assumedRoleArn: `arn:aws:sts::${PROD}:assumed-role/Admins/admin`,
      account: PROD,
      role: ADMINS,
    });
    expect(call.params).toMatchObject({ Action: 'AssumeRoleWithSAML', RoleArn: ADMINS, PrincipalArn: PROVIDER, DurationSeconds: '3600' });
    // Unsigned, as AWS expects: the assertion is the only proof, and Tessera holds no AWS credentials.
    expect(call.headers.authorization).toBeUndefined();
    expect(call.result).toMatchObject({ issuer: ENTITY_ID, subject: 'admin', subjectType: 'persistent', audience: AWS_SAML });

    // What was sent, read from the bytes Tessera's published certificate signs.
    const assertion = verifiedAssertion(call.params.SAMLAssertion!, metadataCertificatePem(metadataXml));
    expect(attributeValues(assertion, ROLE_ATTRIBUTE)).toEqual([`${ADMINS},${PROVIDER}`]);
    expect(attributeValues(assertion, SESSION_NAME_ATTRIBUTE)).toEqual(['admin']);
    expect(attributeValues(assertion, SESSION_DURATION_ATTRIBUTE)).toEqual(['3600']);
    expect(text(assertion, 'Audience')).toBe(AWS_SAML);
    expect(first(assertion, 'SubjectConfirmationData').getAttribute('Recipient')).toBe(AWS_SAML);
    const notOnOrAfter = Date.parse(first(assertion, 'SubjectConfirmationData').getAttribute('NotOnOrAfter')!);
    expect(notOnOrAfter - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(notOnOrAfter - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    expect(first(assertion, 'NameID').getAttribute('Format')).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
  });

  it('an operator of alpha may assume the role granted to alpha operators, not the org admins’ one; its viewer-scoped token neither', async () => {
    const roles = ok<{ items: { account: string; role: string; roleArn: string }[] }>(await as('operator').inject({ method: 'GET', url: '/v1/cloud/aws/roles' }));
    expect(roles.items).toEqual([expect.objectContaining({ account: PROD, role: 'operators', roleArn: OPERATORS })]);

    const before = sts.calls.length;
    // By account id and role ARN this time; the account's session length (2 h) by default.
    const c = ok<Credentials>(await credentials(as('operator'), { account: PROD, role: OPERATORS }));
    const call = onlyCallSince(before);
    expect(c.assumedRoleArn).toBe(`arn:aws:sts::${PROD}:assumed-role/Operators/operator-sa`);
    expect(call.params.DurationSeconds).toBe('7200');
    expect(Date.parse(c.expiration) - Date.now()).toBeGreaterThan(7100_000);
    const assertion = verifiedAssertion(call.params.SAMLAssertion!, metadataCertificatePem(metadataXml));
    expect(attributeValues(assertion, ROLE_ATTRIBUTE)).toEqual([`${OPERATORS},${PROVIDER}`]);
    expect(attributeValues(assertion, SESSION_NAME_ATTRIBUTE)).toEqual(['operator-sa']);

    const refused = failed(await credentials(as('operator'), { account: 'prod', role: 'admins' }), 403);
    expect(refused.message).toMatch(/you may not assume .*Admins: it is granted to organisation admins/);
    expect(refused.message).toContain('you may assume: --account prod --role operators');
    expect(refused.details?.mayAssume).toEqual([expect.objectContaining({ roleArn: OPERATORS })]);
    const console = failed(await as('operator').inject({ method: 'POST', url: '/v1/cloud/aws/console', payload: { account: 'prod', role: 'admins' } }), 403);
    expect(console.message).toMatch(/granted to organisation admins/);

    // A token narrowed to viewer in alpha carries no more than that, whatever its owner holds.
    const scoped = failed(await credentials(as('operatorViewerScope'), { account: 'prod', role: 'operators' }), 403);
    expect(scoped.message).toMatch(/granted to operators of project alpha/);
    expect(scoped.message).toMatch(/you may assume no AWS role/);
    expect(ok<{ items: unknown[] }>(await as('operatorViewerScope').inject({ method: 'GET', url: '/v1/cloud/aws/roles' })).items).toEqual([]);
    // Refused before anything was signed or sent.
    expect(sts.calls.length).toBe(before + 1);

    const audit = ok<{ items: Record<string, unknown>[] }>(await t.app.inject({ method: 'GET', url: '/v1/audit?principal=operator-sa&action=cloud.aws.*&limit=100' }));
    expect(audit.items).toContainEqual(expect.objectContaining({ action: 'cloud.aws.credentials', result: 'success', resourceId: OPERATORS }));
    expect(audit.items).toContainEqual(expect.objectContaining({ action: 'cloud.aws.credentials', result: 'denied', statusCode: 403, resourceId: 'prod/admins' }));
  });

  it('an unknown account or role is a 404 that lists what the caller may assume; STS is not asked', async () => {
    const before = sts.calls.length;
    const account = failed(await credentials(as('operator'), { account: 'staging', role: 'operators' }), 404);
    expect(account.message).toBe('no AWS account "staging" is configured for federation; you may assume: --account prod --role operators');
    const role = failed(await credentials(t.app, { account: 'prod', role: 'Auditors' }), 404);
    expect(role.message).toMatch(/^account prod \(111111111111\) has no role "Auditors" configured for federation; you may assume: /);
    expect(role.message).toContain('--account prod --role Untrusted');
    expect(role.message).toContain('--account stale --role operators');
    const invalid = failed(await credentials(t.app, { account: 'prod', role: 'admins', durationSeconds: 60 }), 400);
    expect(invalid.message).toMatch(/durationSeconds/);
    // Longer than the account allows (sessionSeconds: 7200): refused by Tessera.
    const tooLong = failed(await credentials(t.app, { account: 'prod', role: 'operators', durationSeconds: 10800 }), 400);
    expect(tooLong.message).toMatch(/longer than the 7200 seconds allowed in account 111111111111/);
    expect(sts.calls.length).toBe(before);
  });

  it('STS refusals become errors that say what to fix: trust policy (403), stale IAM metadata (403), role session limit (400)', async () => {
    let before = sts.calls.length;
    const untrusted = failed(await credentials(t.app, { account: 'prod', role: 'Untrusted' }), 403);
    expect(onlyCallSince(before).error?.code).toBe('AccessDenied');
    expect(untrusted.message).toContain(`the role's trust policy must allow "sts:AssumeRoleWithSAML" to the federated principal ${PROVIDER}`);
    expect(untrusted.message).toContain(`"SAML:aud": "${AWS_SAML}"`);
    expect(untrusted.details).toMatchObject({ awsError: 'AccessDenied', role: UNTRUSTED });

    before = sts.calls.length;
    const stale = failed(await credentials(t.app, { account: 'stale', role: 'operators' }), 403);
    const staleCall = onlyCallSince(before);
    expect(staleCall.error).toMatchObject({ code: 'InvalidIdentityToken', reason: expect.stringMatching(/does not verify with any of the provider's 1 certificate/) });
    expect(stale.message).toContain(`the IAM SAML provider ${STALE_PROVIDER} must hold Tessera's current metadata from ${ENTITY_ID}`);
    expect(stale.message).toContain('aws iam update-saml-provider');

    // Admins allows IAM's default hour; the account asks for two by default.
    before = sts.calls.length;
    const tooLong = failed(await credentials(t.app, { account: 'prod', role: 'admins' }), 400);
    expect(onlyCallSince(before).error?.code).toBe('ValidationError');
    expect(tooLong.message).toMatch(/raise the MaxSessionDuration of .*Admins in IAM/);

    const audit = ok<{ items: Record<string, unknown>[] }>(await t.app.inject({ method: 'GET', url: '/v1/audit?action=cloud.aws.credentials&result=denied&limit=100' }));
    expect(audit.items).toContainEqual(expect.objectContaining({ principal: 'admin', resourceId: UNTRUSTED, statusCode: 403 }));
  });

  it('throttling is retried by the SDK and still succeeds; STS failing every attempt is a 503', async () => {
    let before = sts.calls.length;
    sts.setFault({ throttleNext: 2 });
    ok<Credentials>(await credentials(t.app, { account: 'prod', role: 'admins', durationSeconds: 900 }));
    const attempts = sts.calls.slice(before);
    expect(attempts.map((c) => c.error?.code ?? c.httpStatus)).toEqual(['Throttling', 'Throttling', 200]);
    expect(attempts[2]!.headers['amz-sdk-request']).toMatch(/attempt=3/);

    before = sts.calls.length;
    sts.setFault({ serverErrorNext: 3, status: 503 });
    const down = failed(await credentials(t.app, { account: 'prod', role: 'admins', durationSeconds: 900 }), 503);
    expect(sts.calls.length - before).toBe(3);
    expect(down.message).toMatch(/is throttling or failing .*ServiceUnavailable.*after 3 attempts\): try again in a moment/);
  });

  it('the console form posts a response signed with the published certificate to AWS; Tessera itself sends AWS nothing', async () => {
    const before = sts.calls.length;
    const signIn = ok<{ url: string; samlResponse: string; html: string; expiresAt: string; account: string; role: string }>(
      await as('operator').inject({ method: 'POST', url: '/v1/cloud/aws/console', payload: { account: 'prod', role: 'operators' } }),
    );
    expect(sts.calls.length).toBe(before);
    expect(signIn).toMatchObject({ url: AWS_SAML, account: PROD, role: OPERATORS });
    expect(Date.parse(signIn.expiresAt) - Date.now()).toBeLessThanOrEqual(5 * 60_000);

    const form = parse(signIn.html.replace('<!DOCTYPE html>', ''), 'text/html').getElementsByTagName('form')[0]!;
    expect(form.getAttribute('method')).toBe('post');
    expect(form.getAttribute('action')).toBe(AWS_SAML);
    const input = Array.from(form.getElementsByTagName('input')).find((i) => i.getAttribute('name') === 'SAMLResponse')!;
    expect(input.getAttribute('value')).toBe(signIn.samlResponse);
    expect(signIn.html).toMatch(/<body onload="document.forms\[0\].submit\(\)">/);

    const response = parse(Buffer.from(signIn.samlResponse, 'base64').toString('utf8')).documentElement!;
    expect(response.getAttribute('Destination')).toBe(AWS_SAML);
    const assertion = verifiedAssertion(signIn.samlResponse, metadataCertificatePem(metadataXml));
    expect(attributeValues(assertion, ROLE_ATTRIBUTE)).toEqual([`${OPERATORS},${PROVIDER}`]);
    expect(attributeValues(assertion, SESSION_NAME_ATTRIBUTE)).toEqual(['operator-sa']);
    expect(attributeValues(assertion, SESSION_DURATION_ATTRIBUTE)).toEqual(['7200']);
    expect(text(assertion, 'Issuer')).toBe(ENTITY_ID);

    // A response signed with any other key does not verify against the published certificate.
    const other = createSigningIdentity('Someone else');
    expect(() => verifiedAssertion(signIn.samlResponse, other.certificatePem)).toThrow();
  });

  it('secrets appear in their answer only: never in the store, the logs, the audit log or an Idempotency-Key replay', async () => {
    const key = 'aws-credentials-once';
    const first = await credentials(t.app, { account: 'prod', role: 'admins', durationSeconds: 900 }, { 'idempotency-key': key });
    const c = ok<Credentials>(first);
    const callsAfterFirst = sts.calls.length;
    const samlAssertion = sts.calls.at(-1)!.params.SAMLAssertion!;
    const replay = await credentials(t.app, { account: 'prod', role: 'admins', durationSeconds: 900 }, { 'idempotency-key': key });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const replayed = JSON.parse(replay.body) as Record<string, unknown>;
    expect(replayed).toMatchObject({ accessKeyId: c.accessKeyId, account: PROD, role: ADMINS, secretShownOnce: true });
    expect(replayed).not.toHaveProperty('secretAccessKey');
    expect(replayed).not.toHaveProperty('sessionToken');
    expect(sts.calls.length).toBe(callsAfterFirst);

    const consoleKey = 'aws-console-once';
    const signIn = ok<{ samlResponse: string }>(
      await t.app.inject({ method: 'POST', url: '/v1/cloud/aws/console', headers: { 'idempotency-key': consoleKey }, payload: { account: 'prod', role: 'admins' } }),
    );
    const consoleReplay = await t.app.inject({ method: 'POST', url: '/v1/cloud/aws/console', headers: { 'idempotency-key': consoleKey }, payload: { account: 'prod', role: 'admins' } });
    expect(consoleReplay.headers['idempotent-replayed']).toBe('true');
    expect(Object.keys(JSON.parse(consoleReplay.body) as object).sort()).toEqual(['account', 'expiresAt', 'role', 'secretShownOnce', 'url']);

    const reads = await Promise.all(['/v1/audit?limit=1000', '/v1/audit?format=jsonl', '/v1/events?limit=1000'].map((url) => t.app.inject({ method: 'GET', url })));
    const audit = (JSON.parse(reads[0]!.body) as { items: { action: string }[] }).items;
    expect(audit.filter((e) => e.action === 'cloud.aws.credentials').length).toBeGreaterThan(0);
    const everything = [replay.body, consoleReplay.body, ...reads.map((r) => r.body), logged, await dumpStore(t, tdb)].join('\n');
    expect(everything).toContain(c.accessKeyId);
    for (const secret of [c.secretAccessKey, c.sessionToken, samlAssertion, signIn.samlResponse]) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(secret.slice(20, 60));
    }
  });

  describe('the CLI', () => {
    let url: string;
    beforeAll(async () => {
      url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
    });

    it('cloud credentials aws --format env prints export lines a shell can eval; credential-process prints what the AWS CLI reads', async () => {
      let before = sts.calls.length;
      const env = await runCli(['cloud', 'credentials', 'aws', '--account', 'prod', '--role', 'admins', '--duration', '900', '--format', 'env'], { url });
      expect(env.code, env.stderr).toBe(0);
      const issued = onlyCallSince(before).result!.credentials;
      expect(env.stdout).toBe(
        `export AWS_ACCESS_KEY_ID=${issued.accessKeyId}\n` +
          `export AWS_SECRET_ACCESS_KEY=${issued.secretAccessKey}\n` +
          `export AWS_SESSION_TOKEN=${issued.sessionToken}\n` +
          `export AWS_CREDENTIAL_EXPIRATION=${issued.expiration.toISOString()}\n`,
      );

      before = sts.calls.length;
      const process = await runCli(['cloud', 'credentials', 'aws', '--account', PROD, '--role', 'operators', '--format', 'credential-process'], {
        url,
        env: { TESSERA_TOKEN: tokens.operator },
      });
      expect(process.code, process.stderr).toBe(0);
      const second = onlyCallSince(before).result!.credentials;
      expect(JSON.parse(process.stdout)).toEqual({
        Version: 1,
        AccessKeyId: second.accessKeyId,
        SecretAccessKey: second.secretAccessKey,
        SessionToken: second.sessionToken,
        Expiration: second.expiration.toISOString(),
      });

      const refused = await runCli(['cloud', 'credentials', 'aws', '--account', 'prod', '--role', 'admins', '--format', 'env'], { url, env: { TESSERA_TOKEN: tokens.operator } });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/you may assume: --account prod --role operators \(Forbidden, HTTP 403/);
      expect((await runCli(['cloud', 'credentials', 'azure', '--account', 'a', '--role', 'r'], { url })).code).toBe(2);
    });

    it('cloud roles aws lists the roles; cloud console aws writes a private sign-in page and says how to open it', async () => {
      const roles = await runCli(['cloud', 'roles', 'aws'], { url, env: { TESSERA_TOKEN: tokens.operator } });
      expect(roles.code, roles.stderr).toBe(0);
      expect(roles.stdout).toMatch(/^ACCOUNT\s+ACCOUNT NAME\s+ROLE\s+ROLE ARN\s+MAX SESSION\n111111111111\s+prod\s+operators\s+arn:aws:iam::111111111111:role\/Operators\s+7200s\n$/);

      const file = join(tdb.dataDir, 'console.html');
      const signIn = await runCli(['cloud', 'console', 'aws', '--account', 'prod', '--role', 'admins', '--out', file], { url, env: { TESSERA_TOKEN: TEST_ADMIN_TOKEN } });
      expect(signIn.code, signIn.stderr).toBe(0);
      expect(signIn.stdout).toContain(`wrote the AWS console sign-in for ${ADMINS} to ${file}`);
      expect(signIn.stdout).toMatch(/open it in a browser before \S+Z/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const page = readFileSync(file, 'utf8');
      expect(page).toContain(`action="${AWS_SAML}"`);
      const value = /name="SAMLResponse" value="([^"]+)"/.exec(page)![1]!;
      expect(attributeValues(verifiedAssertion(value, metadataCertificatePem(metadataXml)), ROLE_ATTRIBUTE)).toEqual([`${ADMINS},${PROVIDER}`]);
    });
  });

  /** The one STS request made since `before` (none was retried). */
  function onlyCallSince(before: number): RecordedStsCall {
    const calls = sts.calls.slice(before);
    expect(calls, JSON.stringify(calls.map((c) => c.error))).toHaveLength(1);
    return calls[0]!;
  }
});

describe('RoleSessionName', () => {
  it('keeps names AWS accepts and makes the others fit [\\w+=,.@-]{2,64}', () => {
    expect(roleSessionName('operator-sa')).toBe('operator-sa');
    expect(roleSessionName('jane.doe@example.com')).toBe('jane.doe@example.com');
    expect(roleSessionName('Zoë Müller (ops)')).toBe('Zo__M_ller__ops_');
    expect(roleSessionName('a')).toBe('tessera-a');
    expect(roleSessionName('x'.repeat(100))).toBe('x'.repeat(64));
    for (const name of ['a', 'Zoë', 'x'.repeat(100), 'j/d\\e"<>']) expect(roleSessionName(name)).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});

function parse(xml: string, mimeType: 'text/xml' | 'text/html' = 'text/xml'): Document {
  return new DOMParser().parseFromString(xml, mimeType);
}

/** The signing certificate of IdP metadata, base64 DER. */
function metadataCertificate(xml: string): string {
  return parse(xml).getElementsByTagNameNS(DS_NS, 'X509Certificate')[0]!.textContent!;
}

function metadataCertificatePem(xml: string): string {
  const body = metadataCertificate(xml).replace(/\s+/g, '').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

/**
 * Checks the Assertion's enveloped signature with `certificatePem` only (never the KeyInfo), that the signature
 * sits right after the Assertion's Issuer, and returns the Assertion as the signature covers it.
 */
function verifiedAssertion(samlResponse: string, certificatePem: string): Element {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  const response = parse(xml).documentElement!;
  expect(response.namespaceURI).toBe(SAMLP_NS);
  const assertions = Array.from(response.getElementsByTagNameNS(SAML_NS, 'Assertion'));
  expect(assertions).toHaveLength(1);
  const children = elementChildren(assertions[0]!);
  expect(children.slice(0, 2).map((e) => e.localName)).toEqual(['Issuer', 'Signature']);
  const verifier = new SignedXml({ publicCert: certificatePem, getCertFromKeyInfo: () => null });
  verifier.loadSignature(children[1]!);
  if (!verifier.checkSignature(xml)) throw new Error('the assertion signature does not verify');
  const signed = verifier.getSignedReferences();
  expect(signed).toHaveLength(1);
  const covered = parse(signed[0]!).documentElement!;
  expect(covered.getAttribute('ID')).toBe(assertions[0]!.getAttribute('ID'));
  return covered;
}

function elementChildren(el: Element): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}

function first(assertion: Element, localName: string): Element {
  return assertion.getElementsByTagNameNS(SAML_NS, localName)[0]!;
}

function text(assertion: Element, localName: string): string | null {
  return first(assertion, localName).textContent;
}

function attributeValues(assertion: Element, name: string): string[] {
  const attribute = Array.from(assertion.getElementsByTagNameNS(SAML_NS, 'Attribute')).find((a) => a.getAttribute('Name') === name);
  return attribute ? Array.from(attribute.getElementsByTagNameNS(SAML_NS, 'AttributeValue')).map((v) => v.textContent ?? '') : [];
}

/** Every row of every table of this test's database, as text: what a copy of the database would give away. */
async function dumpStore(t: TestPlane, tdb: TestDatabase): Promise<string> {
  const tables = (await t.cp.store.db.introspection.getTables()).filter((table) => tdb.dialect === 'sqlite' || table.schema === tdb.options.schema);
  expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['audit_log', 'idempotency_keys', 'settings', 'events']));
  const out: string[] = [];
  for (const table of tables) {
    const { rows } = await sql`select * from ${sql.table(table.name)}`.execute(t.cp.store.db);
    out.push(JSON.stringify(rows));
  }
  return out.join('\n');
}
