import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStsDouble, type StsDouble } from './server.js';

/** sts:AssumeRole in the STS double: signed calls, STS's member constraints, the role directory. */

const ROLE = 'arn:aws:iam::123456789012:role/Operators';
let sts: StsDouble;
let client: STSClient;

beforeAll(async () => {
  sts = await startStsDouble({ providers: [], roles: [{ arn: ROLE, trustedProviderArn: 'arn:aws:iam::123456789012:saml-provider/Unused' }] });
  client = new STSClient({ region: 'us-east-1', endpoint: sts.url, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
});

afterAll(async () => {
  client?.destroy();
  await sts?.stop();
});

describe('AssumeRole', () => {
  it('issues temporary credentials for a role, recording the signing key and what was asked', async () => {
    const out = await client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'tessera-prod', ExternalId: 'ext-123', DurationSeconds: 900 }));
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/Operators/tessera-prod');
    const lifetime = (out.Credentials!.Expiration!.getTime() - Date.now()) / 1000;
    expect(lifetime).toBeGreaterThan(890);
    expect(lifetime).toBeLessThanOrEqual(900);
    const call = sts.calls.at(-1)!;
    expect(call.result).toMatchObject({ callerAccessKeyId: 'AKIAIOSFODNN7EXAMPLE', externalId: 'ext-123' });
    expect(call.params).toMatchObject({ Action: 'AssumeRole', RoleArn: ROLE, RoleSessionName: 'tessera-prod', ExternalId: 'ext-123' });
  });

  it('refuses an unknown role (AccessDenied, 403), a bad session name (ValidationError) and an unsigned call', async () => {
    await expect(client.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/Nobody', RoleSessionName: 'x1' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'has space' }))).rejects.toMatchObject({ name: 'ValidationError' });
    const unsigned = await fetch(sts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(ROLE)}&RoleSessionName=x1`,
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});
