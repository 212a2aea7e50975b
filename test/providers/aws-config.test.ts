import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { parseAwsConfig, parseStoredKeys } from '../../src/providers/aws/config.js';
import { createAwsDriver } from '../../src/providers/aws/driver.js';

/** The aws provider's configuration and stored credentials: what is accepted, and what each mistake is told. */

const MINIMAL = { regions: [{ name: 'us-east-1' }] };

function problem(raw: unknown): string {
  try {
    parseAwsConfig('prod-aws', raw);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return (e as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('aws provider configuration', () => {
  it('fills in the defaults', () => {
    expect(parseAwsConfig('prod-aws', MINIMAL)).toEqual({ regions: [{ name: 'us-east-1' }], images: [], maxAttempts: 3, requestTimeoutSeconds: 30, catalogCacheSeconds: 3600 });
    expect(parseAwsConfig('prod-aws', { ...MINIMAL, images: [{ name: 'ubuntu-24.04', amis: { 'us-east-1': 'ami-0123456789abcdef0' } }], assumeRole: { roleArn: 'arn:aws:iam::123456789012:role/tessera' } })).toMatchObject({
      images: [{ name: 'ubuntu-24.04', os: 'linux', arch: 'x86_64' }],
      assumeRole: { roleArn: 'arn:aws:iam::123456789012:role/tessera', durationSeconds: 3600 },
    });
  });

  it.each([
    [{}, /aws provider 'prod-aws' has an invalid configuration: regions: /],
    [{ regions: [] }, /regions: list at least one region, e\.g\. regions: \[\{ name: us-east-1 \}\]/],
    [{ region: 'us-east-1', regions: [{ name: 'us-east-1' }] }, /\(root\): unknown key "region"; the keys allowed here are: regions, images, profile, assumeRole/],
    [{ regions: [{ name: 'us-east' }] }, /regions\[0\]\.name: must be an AWS region name such as us-east-1/],
    [{ regions: [{ name: 'us-east-1' }, { name: 'us-east-1' }] }, /regions: region names must be unique/],
    [{ regions: [{ name: 'us-east-1', subnetId: 'subnet-xyz' }] }, /regions\[0\]\.subnetId: must be an EC2 id like subnet-0123456789abcdef0/],
    [{ regions: [{ name: 'us-east-1', securityGroupIds: ['default'] }] }, /regions\[0\]\.securityGroupIds\[0\]: must be an EC2 id like sg-/],
    [{ ...MINIMAL, images: [{ name: 'ubuntu', amis: { 'eu-west-1': 'ami-0123456789abcdef0' } }] }, /images\[0\]\.amis\.eu-west-1: region eu-west-1 is not one of this provider's regions \(us-east-1\)/],
    [{ ...MINIMAL, images: [{ name: 'ubuntu', amis: { 'us-east-1': 'ubuntu-noble' } }] }, /images\[0\]\.amis\.us-east-1: must be an EC2 id like ami-/],
    [{ ...MINIMAL, images: [{ name: 'ubuntu', amis: {} }] }, /images\[0\]\.amis: map at least one region to an AMI id/],
    [{ ...MINIMAL, images: [{ name: 'ami-0123456789abcdef0', amis: { 'us-east-1': 'ami-0123456789abcdef0' } }] }, /must not itself look like an AMI id/],
    [{ ...MINIMAL, stsEndpoint: 'http://127.0.0.1:9' }, /stsEndpoint: stsEndpoint is only used to assume a role: add assumeRole/],
    [{ ...MINIMAL, assumeRole: { roleArn: 'tessera-role' } }, /assumeRole\.roleArn: must be an IAM role ARN such as arn:aws:iam::123456789012:role\/tessera/],
    [{ ...MINIMAL, assumeRole: { roleArn: 'arn:aws:iam::123456789012:role/t', externalId: 'x' } }, /assumeRole\.externalId: must be 2-1224 characters/],
    [{ ...MINIMAL, endpoint: 'localhost:4566' }, /endpoint: must be an http:\/\/ or https:\/\/ URL/],
    [{ ...MINIMAL, maxAttempts: 0 }, /maxAttempts: /],
  ])('refuses %j', (raw, message) => {
    expect(problem(raw)).toMatch(message);
  });
});

describe('stored credentials', () => {
  it('accepts a key pair, with or without a session token; nothing stored is null', () => {
    expect(parseStoredKeys('prod-aws', { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's' })).toEqual({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's' });
    expect(parseStoredKeys('prod-aws', { accessKeyId: 'ASIAIOSFODNN7EXAMPLE', secretAccessKey: 's', sessionToken: 't' })?.sessionToken).toBe('t');
    expect(parseStoredKeys('prod-aws', null)).toBeNull();
    expect(parseStoredKeys('prod-aws', {})).toBeNull();
  });

  it.each([
    [{ accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }, /lack secretAccessKey/],
    [{ secretAccessKey: 's' }, /lack accessKeyId/],
    [{ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's', region: 'us-east-1' }, /unknown key "region" \(allowed: accessKeyId, secretAccessKey, sessionToken\)/],
    [{ accessKeyId: 'my key', secretAccessKey: 's' }, /not an AWS access key id/],
  ])('refuses %j and says how to store them', (stored, message) => {
    expect(() => parseStoredKeys('prod-aws', stored)).toThrow(message);
    expect(() => parseStoredKeys('prod-aws', stored)).toThrow(/tessera provider credentials prod-aws --from-file FILE/);
  });

  it('the driver factory reports bad configuration and bad credentials before any call', async () => {
    await expect(createAwsDriver('prod-aws', { regions: [{ name: 'moon-1' }] }, { dataDir: tmpdir(), credentials: null })).rejects.toThrow(/regions\[0\]\.name/);
    await expect(createAwsDriver('prod-aws', MINIMAL, { dataDir: tmpdir(), credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' } })).rejects.toThrow(/lack secretAccessKey/);
  });

  it('a profile that does not exist is Invalid at the first call, naming the profile and where it is looked for', async () => {
    const driver = await createAwsDriver('prod-aws', { ...MINIMAL, profile: 'tessera-no-such-profile', endpoint: 'http://127.0.0.1:9' }, { dataDir: tmpdir(), credentials: null });
    const saved = { config: process.env['AWS_CONFIG_FILE'], credentials: process.env['AWS_SHARED_CREDENTIALS_FILE'] };
    process.env['AWS_CONFIG_FILE'] = `${tmpdir()}/tessera-no-aws-config`;
    process.env['AWS_SHARED_CREDENTIALS_FILE'] = `${tmpdir()}/tessera-no-aws-credentials`;
    try {
      await expect(driver.observe({ region: 'us-east-1', token: 'tsr-x-0' })).rejects.toMatchObject({
        errorClass: 'Invalid',
        message: expect.stringMatching(/profile 'tessera-no-such-profile'.*~\/\.aws\/config/),
      });
    } finally {
      for (const [key, value] of [['AWS_CONFIG_FILE', saved.config], ['AWS_SHARED_CREDENTIALS_FILE', saved.credentials]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await driver.close?.();
    }
  });
});
