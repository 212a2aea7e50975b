import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { isThrottle, type CreateRequest, type Driver, type DriverContext, type ErrorClass, type ListPrice, type ObservedInstance } from '../../src/providers/driver.js';
import type { AwsConfigInput } from '../../src/providers/aws/config.js';
import { createAwsDriver } from '../../src/providers/aws/driver.js';
import { Ec2Double, EXAMPLE_ACCESS_KEY, type Ec2DoubleOptions } from '../doubles/ec2/server.js';
import { startStsDouble, type StsDouble } from '../doubles/sts/server.js';
import { freePort } from '../support/server-process.js';
import { providerErrorOf } from '../support/provider-errors.js';

/**
 * What the aws driver does beyond the conformance suite, each test against a fresh EC2 wire double (and the STS
 * double for role assumption): @aws-sdk/client-ec2 does the signing, retrying and paging, the double answers as
 * EC2 documents, and each test reads what the double received.
 */

const X86_AMI = 'ami-0a1b2c3d4e5f60718';
const ARM_AMI = 'ami-0f1e2d3c4b5a69788';
const ACCOUNT = '123456789012';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/tessera-operator`;

const doubles: { close(): Promise<void> }[] = [];
const drivers: Driver[] = [];

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close?.();
  for (const d of doubles.splice(0)) await d.close();
});

async function ec2Double(options: Ec2DoubleOptions = {}): Promise<Ec2Double> {
  const d = await Ec2Double.start({ transitionMs: 50, ...options });
  doubles.push(d);
  return d;
}

function config(endpoint: string, extra: Partial<AwsConfigInput> = {}): AwsConfigInput {
  return {
    regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
    images: [
      { name: 'ubuntu-24.04', amis: { 'us-east-1': X86_AMI, 'eu-west-1': X86_AMI } },
      { name: 'ubuntu-24.04-arm', arch: 'arm64', amis: { 'us-east-1': ARM_AMI } },
    ],
    endpoint,
    ...extra,
  };
}

async function open(endpoint: string, extra: Partial<AwsConfigInput> = {}, ctx: Partial<DriverContext> = {}): Promise<Driver> {
  const d = await createAwsDriver('aws-test', config(endpoint, extra) as Record<string, unknown>, { dataDir: tmpdir(), credentials: { ...EXAMPLE_ACCESS_KEY }, ...ctx });
  drivers.push(d);
  return d;
}

function request(name: string, overrides: Partial<CreateRequest> = {}): CreateRequest {
  return {
    tesseraId: `i-${name.replace(/[^a-z0-9]/g, '').padEnd(16, '0').slice(0, 16)}`,
    name,
    region: 'us-east-1',
    zone: null,
    flavor: 'm6i.large',
    image: 'ubuntu-24.04',
    market: 'on-demand',
    userData: null,
    labels: { app: 'web' },
    powerOn: true,
    ...overrides,
  };
}


describe('idempotent create (RunInstances ClientToken)', () => {
  it('a create whose answer is lost is re-sent by the SDK with the same ClientToken: ONE instance, and the driver returns it', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url);
    ec2.faults.dropNextCreateResponse();

    const created = await driver.create(request('lost-answer'), 'tsr-i-lostanswer-0');

    expect(ec2.instances()).toHaveLength(1);
    expect(created.externalId).toBe(ec2.instances()[0]!.id);
    const runs = ec2.calls.filter((c) => c.action === 'RunInstances');
    expect(runs).toHaveLength(2);
    expect(runs[0]!.dropped).toBe(true);
    // One SDK invocation, two attempts, one ClientToken: EC2 answered the second with the first one's reservation.
    expect(runs.map((c) => c.invocationId)).toEqual([runs[0]!.invocationId, runs[0]!.invocationId]);
    expect(runs.map((c) => c.attempt)).toEqual([1, 2]);
    expect(runs.map((c) => c.params['ClientToken'])).toEqual(['tsr-i-lostanswer-0', 'tsr-i-lostanswer-0']);
  });

  it('when the SDK gives up on a lost answer, Tessera’s own retry with the token still finds the first instance', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url, { maxAttempts: 1 });
    ec2.faults.dropNextCreateResponse();

    const failed = await providerErrorOf(driver.create(request('gave-up'), 'tsr-i-gaveup-0'));
    expect(failed.errorClass).toBe('Retryable');
    expect(ec2.instances()).toHaveLength(1);

    // Observe-before-create finds it by its token tag; a repeated create returns it too.
    const observed = await driver.observe({ region: 'us-east-1', token: 'tsr-i-gaveup-0' });
    const again = await driver.create(request('gave-up'), 'tsr-i-gaveup-0');
    expect(observed?.externalId).toBe(ec2.instances()[0]!.id);
    expect(again.externalId).toBe(observed?.externalId);
    expect(ec2.instances()).toHaveLength(1);
  });

  it('the same token with a different request is IdempotentParameterMismatch (Invalid), and nothing more is launched', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url);
    await driver.create(request('mismatch'), 'tsr-i-mismatch-0');
    const e = await providerErrorOf(driver.create(request('mismatch', { flavor: 'm6i.xlarge' }), 'tsr-i-mismatch-0'));
    expect(e.errorClass).toBe('Invalid');
    expect(e.providerCode).toBe('IdempotentParameterMismatch');
    expect(ec2.instances()).toHaveLength(1);
  });

  it('a token EC2 cannot take as a ClientToken (over 64 characters) is digested the same way every time; the tag keeps it whole', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url);
    const token = `tsr-${'x'.repeat(80)}-0`;
    const first = await driver.create(request('long-token'), token);
    const second = await driver.create(request('long-token'), token);
    expect(second.externalId).toBe(first.externalId);
    const [instance] = ec2.instances();
    expect(instance!.clientToken!.length).toBeLessThanOrEqual(64);
    expect(instance!.tags['tessera.io/token']).toBe(token);
    expect(first.token).toBe(token);
    expect((await driver.observe({ region: 'us-east-1', token }))?.externalId).toBe(first.externalId);
  });
});

describe('what a launch sends', () => {
  it('tags the instance with its name, Tessera id, token, image and labels, and sends user data base64-encoded', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url);
    const userData = '#cloud-config\npackages: [nginx]\n# ünïcode survives\n';
    const created = await driver.create(request('tagged', { userData, labels: { app: 'web', tier: 'front' } }), 'tsr-i-tagged-0');

    const [instance] = ec2.instances();
    expect(instance!.tags).toEqual({
      Name: 'tagged',
      app: 'web',
      tier: 'front',
      'tessera.io/id': 'i-tagged0000000000',
      'tessera.io/token': 'tsr-i-tagged-0',
      'tessera.io/image': 'ubuntu-24.04',
    });
    expect(Buffer.from(instance!.userData!, 'base64').toString('utf8')).toBe(userData);
    expect(instance!.imageId).toBe(X86_AMI);
    expect(created).toMatchObject({ name: 'tagged', tesseraId: 'i-tagged0000000000', token: 'tsr-i-tagged-0', image: 'ubuntu-24.04', flavor: 'm6i.large', kind: 'vm', market: 'on-demand' });
    expect(created.labels).toEqual({ app: 'web', tier: 'front', 'tessera.io/id': 'i-tagged0000000000', 'tessera.io/token': 'tsr-i-tagged-0' });
  });

  it('an AMI id may be named directly; the zone, subnet and security groups of the request and region are sent', async () => {
    const ec2 = await ec2Double();
    const subnet = ec2.subnets('us-east-1').find((s) => s.zone === 'us-east-1b')!;
    const sg = ec2.defaultSecurityGroupId('us-east-1');
    const driver = await open(ec2.url, { regions: [{ name: 'us-east-1', subnetId: subnet.id, securityGroupIds: [sg] }], images: [] });
    const created = await driver.create(request('placed', { image: X86_AMI, zone: 'us-east-1b' }), 'tsr-i-placed-0');
    expect(created.zone).toBe('us-east-1b');
    expect(created.image).toBe(X86_AMI);
    expect(ec2.instances()[0]).toMatchObject({ subnetId: subnet.id, securityGroupIds: [sg], zone: 'us-east-1b' });
    const run = ec2.calls.find((c) => c.action === 'RunInstances')!;
    expect(run.params).toMatchObject({ 'Placement.AvailabilityZone': 'us-east-1b', SubnetId: subnet.id, 'SecurityGroupId.1': sg });
  });

  it('a spot create asks for a one-time spot instance (InstanceMarketOptions), reports market spot, and cannot be stopped', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url);
    const created = await driver.create(request('spotty', { market: 'spot' }), 'tsr-i-spotty-0');

    const run = ec2.calls.find((c) => c.action === 'RunInstances')!;
    expect(run.params).toMatchObject({
      'InstanceMarketOptions.MarketType': 'spot',
      'InstanceMarketOptions.SpotOptions.SpotInstanceType': 'one-time',
      'InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior': 'terminate',
    });
    expect(ec2.instances()[0]!.market).toBe('spot');
    expect(created.market).toBe('spot');
    // Regular launches carry no market options at all.
    await driver.create(request('regular'), 'tsr-i-regular-0');
    expect(Object.keys(ec2.calls.filter((c) => c.action === 'RunInstances')[1]!.params).some((k) => k.startsWith('InstanceMarketOptions'))).toBe(false);

    await waitFor(driver, created, 'running');
    const e = await providerErrorOf(driver.power({ region: 'us-east-1', externalId: created.externalId }, 'off'));
    expect(e.errorClass).toBe('Invalid');
    expect(e.providerCode).toBe('UnsupportedOperation');
    expect(e.message).toMatch(/one-time/);
  });

  it('rejects what cannot be launched before asking EC2: an unconfigured region, an unknown image name, an image without an AMI there, oversized user data', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url);
    const cases: [Partial<CreateRequest>, RegExp][] = [
      [{ region: 'ap-south-1' }, /region 'ap-south-1' is not configured.*its regions: us-east-1, eu-west-1/],
      [{ image: 'debian-13' }, /image 'debian-13' is not configured.*use one of ubuntu-24.04, ubuntu-24.04-arm/],
      [{ image: 'ubuntu-24.04-arm', region: 'eu-west-1' }, /no AMI in eu-west-1.*it has us-east-1/],
      [{ userData: 'x'.repeat(16 * 1024 + 1) }, /at most 16384/],
    ];
    for (const [overrides, message] of cases) {
      const e = await providerErrorOf(driver.create(request('refused', overrides), 'tsr-i-refused-0'));
      expect(e.errorClass).toBe('Invalid');
      expect(e.message).toMatch(message);
    }
    expect(ec2.callCount('RunInstances')).toBe(0);
  });
});

describe('observe, power, delete', () => {
  it('a machine that is not there: observe gives null, delete is a no-op, power is NotFound', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url);
    const ghost = { region: 'us-east-1', externalId: 'i-0123456789abcdef0' };
    expect(await driver.observe(ghost)).toBeNull();
    expect(await driver.observe({ region: 'us-east-1', token: 'tsr-never-0' })).toBeNull();
    await driver.delete(ghost);
    // TerminateInstances on an unknown id: EC2's InvalidInstanceID.NotFound, swallowed.
    expect(ec2.calls.find((c) => c.action === 'TerminateInstances')?.error?.code).toBe('InvalidInstanceID.NotFound');
    const e = await providerErrorOf(driver.power(ghost, 'on'));
    expect(e.errorClass).toBe('NotFound');
    expect(e.providerCode).toBe('InvalidInstanceID.NotFound');
  });

  it('power off while still pending is IncorrectInstanceState: Retryable, as it succeeds once the instance has settled', async () => {
    const ec2 = await ec2Double({ transitionMs: 5_000 });
    const driver = await open(ec2.url);
    const created = await driver.create(request('early'), 'tsr-i-early-0');
    const e = await providerErrorOf(driver.power({ region: 'us-east-1', externalId: created.externalId }, 'off'));
    expect(e.errorClass).toBe('Retryable');
    expect(e.providerCode).toBe('IncorrectInstanceState');
  });
});

describe('list pages with EC2 NextToken', () => {
  it('walks every page of every region, excluding terminated instances, in pages of the asked size', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url);
    const made: ObservedInstance[] = [];
    for (let n = 0; n < 12; n++) made.push(await driver.create(request(`fleet-${n}`), `tsr-i-fleet${n}-0`));
    made.push(await driver.create(request('far', { region: 'eu-west-1' }), 'tsr-i-far-0'));
    const doomed = await driver.create(request('doomed'), 'tsr-i-doomed-0');
    await driver.delete({ region: 'us-east-1', externalId: doomed.externalId });
    await waitFor(driver, doomed, 'terminated');

    const pages: ObservedInstance[][] = [];
    for await (const page of driver.list({ pageSize: 5 })) pages.push(page);

    expect(pages.map((p) => p.length)).toEqual([5, 5, 3]);
    const listed = pages.flat().map((o) => o.externalId);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(made.map((m) => m.externalId).sort());
    expect(pages.flat().find((o) => o.region === 'eu-west-1')?.name).toBe('far');
    // us-east-1 took three requests of MaxResults 5 (5 + 5 + 2), the last two with EC2's NextToken.
    const describes = ec2.calls.filter((c) => c.action === 'DescribeInstances' && c.region === 'us-east-1' && c.params['Filter.1.Name'] === 'instance-state-name');
    expect(describes.map((c) => c.params['MaxResults'])).toEqual(['5', '5', '5']);
    expect(describes.filter((c) => c.params['NextToken'] !== undefined)).toHaveLength(2);
  });
});

describe('throttling and server errors', () => {
  it('RequestLimitExceeded (HTTP 503) is retried by the SDK with backoff; the double counts the retries', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url, { maxAttempts: 3 });
    const created = await driver.create(request('busy'), 'tsr-i-busy-0');
    ec2.faults.throttleNext(2);
    const before = ec2.calls.length;

    expect((await driver.observe({ region: 'us-east-1', externalId: created.externalId }))?.externalId).toBe(created.externalId);
    const calls = ec2.calls.slice(before);
    expect(calls.map((c) => [c.attempt, c.httpStatus, c.error?.code])).toEqual([
      [1, 503, 'RequestLimitExceeded'],
      [2, 503, 'RequestLimitExceeded'],
      [3, 200, undefined],
    ]);
    expect(new Set(calls.map((c) => c.invocationId)).size).toBe(1);
  });

  it('throttling that outlasts the retries is Retryable and a throttle (backs off, does not open the breaker)', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url, { maxAttempts: 2 });
    ec2.faults.throttleNext(2);
    const e = await providerErrorOf(driver.observe({ region: 'us-east-1', token: 'tsr-x-0' }));
    expect(e.errorClass).toBe('Retryable');
    expect(e.providerCode).toBe('RequestLimitExceeded');
    expect(isThrottle(e)).toBe(true);
    expect(e.retryAfterSeconds).toBeUndefined(); // EC2 sends no Retry-After
    expect(ec2.callCount('DescribeInstances')).toBe(2);
  });

  it('an EC2-compatible endpoint that sends Retry-After with its throttling: the seconds reach retryAfterSeconds', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url, { maxAttempts: 1 });
    ec2.faults.throttleRetryAfterSeconds = 7;
    ec2.faults.throttleNext(1);
    const e = await providerErrorOf(driver.observe({ region: 'us-east-1', token: 'tsr-x-0' }));
    expect(e.retryAfterSeconds).toBe(7);
  });

  it('a 5xx is retried by the SDK; one that persists is Retryable and not a throttle', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url, { maxAttempts: 2 });
    ec2.faults.serverErrorNext(1);
    expect(await driver.observe({ region: 'us-east-1', token: 'tsr-x-0' })).toBeNull();
    ec2.faults.serverErrorNext(2);
    const e = await providerErrorOf(driver.observe({ region: 'us-east-1', token: 'tsr-x-0' }));
    expect(e).toMatchObject({ errorClass: 'Retryable', providerCode: 'InternalError' });
    expect(isThrottle(e)).toBe(false);
  });
});

describe('error classification over the wire', () => {
  const table: [code: string, httpStatus: number, cls: ErrorClass][] = [
    ['RequestLimitExceeded', 503, 'Retryable'],
    ['Throttling', 400, 'Retryable'],
    ['InternalError', 500, 'Retryable'],
    ['Unavailable', 503, 'Retryable'],
    ['InsufficientInstanceCapacity', 500, 'Capacity'],
    ['InsufficientHostCapacity', 500, 'Capacity'],
    ['Unsupported', 400, 'Capacity'],
    ['InstanceLimitExceeded', 400, 'Quota'],
    ['VcpuLimitExceeded', 400, 'Quota'],
    ['MaxSpotInstanceCountExceeded', 400, 'Quota'],
    ['InvalidParameterValue', 400, 'Invalid'],
    ['InvalidAMIID.NotFound', 400, 'Invalid'],
    ['InvalidAMIID.Malformed', 400, 'Invalid'],
    ['InvalidParameterCombination', 400, 'Invalid'],
    ['IdempotentParameterMismatch', 400, 'Invalid'],
    ['AuthFailure', 401, 'Invalid'],
    ['UnauthorizedOperation', 403, 'Invalid'],
    ['InvalidInstanceID.NotFound', 400, 'NotFound'],
  ];

  it.each(table)('%s (HTTP %i) → %s', async (code, httpStatus, cls) => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url, { maxAttempts: 1 });
    ec2.faults.failNext({ code, httpStatus, message: `injected ${code}` });
    const e = await providerErrorOf(driver.create(request('classified'), 'tsr-i-classified-0'));
    expect(e.errorClass).toBe(cls);
    expect(e.providerCode).toBe(code);
    expect(e.message).toContain(`injected ${code}`);
    expect(ec2.calls[0]!.httpStatus).toBe(httpStatus);
  });

  it('provoked by the double’s own state: bad AMI, unknown type, architecture mismatch, type not in the zone, capacity, quotas', async () => {
    const ec2 = await ec2Double({ maxInstances: 1 });
    const driver = await open(ec2.url);
    const cases: [Partial<CreateRequest>, string, ErrorClass][] = [
      [{ image: 'ami-00000000000000bad' }, 'InvalidAMIID.NotFound', 'Invalid'],
      [{ flavor: 'm9.colossal' }, 'InvalidParameterValue', 'Invalid'],
      [{ flavor: 'm7g.large' }, 'InvalidParameterValue', 'Invalid'], // arm type, x86 AMI
      [{ flavor: 'm7g.large', image: 'ubuntu-24.04-arm', zone: 'us-east-1c' }, 'Unsupported', 'Capacity'],
    ];
    for (const [overrides, code, cls] of cases) {
      const e = await providerErrorOf(driver.create(request('provoked', overrides), `tsr-i-provoked-${code}`));
      expect([e.providerCode, e.errorClass]).toEqual([code, cls]);
    }
    ec2.faults.capacityIn('us-east-1');
    expect(await providerErrorOf(driver.create(request('full'), 'tsr-i-full-0'))).toMatchObject({ errorClass: 'Capacity', providerCode: 'InsufficientInstanceCapacity' });
    ec2.faults.capacityIn(null);
    ec2.faults.quotaExceeded(true);
    expect(await providerErrorOf(driver.create(request('over'), 'tsr-i-over-0'))).toMatchObject({ errorClass: 'Quota', providerCode: 'VcpuLimitExceeded' });
    expect(await providerErrorOf(driver.create(request('over-spot', { market: 'spot' }), 'tsr-i-overspot-0'))).toMatchObject({ errorClass: 'Quota', providerCode: 'MaxSpotInstanceCountExceeded' });
    ec2.faults.quotaExceeded(false);
    await driver.create(request('one'), 'tsr-i-one-0');
    expect(await providerErrorOf(driver.create(request('two'), 'tsr-i-two-0'))).toMatchObject({ errorClass: 'Quota', providerCode: 'InstanceLimitExceeded' });
  });

  it('a zone without capacity is avoided when the request names none, and named in the message when it does', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url);
    ec2.faults.capacityIn('us-east-1a');
    expect((await driver.create(request('elsewhere'), 'tsr-i-elsewhere-0')).zone).not.toBe('us-east-1a');
    const e = await providerErrorOf(driver.create(request('pinned', { zone: 'us-east-1a' }), 'tsr-i-pinned-0'));
    expect(e.errorClass).toBe('Capacity');
    expect(e.message).toMatch(/\(us-east-1a\).*choosing us-east-1b, us-east-1c.*try another zone/);
  });

  it('credentials EC2 does not know: AuthFailure names the key and where to fix it', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url, {}, { credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'secret' } });
    const e = await providerErrorOf(driver.observe({ region: 'us-east-1', token: 'tsr-x-0' }));
    expect(e).toMatchObject({ errorClass: 'Invalid', providerCode: 'AuthFailure' });
    expect(e.message).toContain("the access key AKIAUNKNOWNKEY000000 stored for provider 'aws-test'");
    expect(ec2.callCount()).toBe(1); // not retried
  });

  it('a wrong secret: SignatureDoesNotMatch says the pair does not match', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url, {}, { credentials: { accessKeyId: EXAMPLE_ACCESS_KEY.accessKeyId, secretAccessKey: 'not-the-secret' } });
    const e = await providerErrorOf(driver.observe({ region: 'us-east-1', token: 'tsr-x-0' }));
    expect(e).toMatchObject({ errorClass: 'Invalid', providerCode: 'SignatureDoesNotMatch' });
    expect(e.message).toMatch(/secret access key does not belong to the access key id/);
  });

  it('a policy without ec2:RunInstances: UnauthorizedOperation names the permissions to grant', async () => {
    const ec2 = await ec2Double();
    ec2.addAccessKey({ accessKeyId: 'AKIAREADONLY00000000', secretAccessKey: 'read-only-secret', deniedActions: ['RunInstances'] });
    const driver = await open(ec2.url, {}, { credentials: { accessKeyId: 'AKIAREADONLY00000000', secretAccessKey: 'read-only-secret' } });
    expect(await driver.observe({ region: 'us-east-1', token: 'tsr-x-0' })).toBeNull();
    const e = await providerErrorOf(driver.create(request('denied'), 'tsr-i-denied-0'));
    expect(e).toMatchObject({ errorClass: 'Invalid', providerCode: 'UnauthorizedOperation' });
    expect(e.message).toMatch(/must allow ec2:RunInstances and ec2:CreateTags/);
  });

  it('an endpoint that refuses connections is Retryable after the SDK’s attempts', async () => {
    const driver = await open(`http://127.0.0.1:${await freePort()}`, { maxAttempts: 2 });
    const e = await providerErrorOf(driver.observe({ region: 'us-east-1', token: 'tsr-x-0' }));
    expect(e).toMatchObject({ errorClass: 'Retryable', providerCode: 'ECONNREFUSED' });
  });
});

describe('credentials: role assumption through STS', () => {
  let sts: StsDouble;

  async function withSts(): Promise<{ ec2: Ec2Double; sts: StsDouble }> {
    sts = await startStsDouble({ providers: [], roles: [{ arn: ROLE_ARN, trustedProviderArn: `arn:aws:iam::${ACCOUNT}:saml-provider/none` }] });
    doubles.push({ close: () => sts.stop() });
    // EC2 accepts the temporary keys STS issued, and only with their session token.
    const ec2 = await ec2Double({
      lookupAccessKey: (id) => {
        const issued = sts.calls.map((c) => c.result?.credentials).find((c) => c?.accessKeyId === id);
        return issued && { accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken };
      },
    });
    return { ec2, sts };
  }

  it('assumes the role once with the stored keys, and EC2 sees the temporary key in every region', async () => {
    const { ec2 } = await withSts();
    const driver = await open(ec2.url, { assumeRole: { roleArn: ROLE_ARN, externalId: 'tessera-ext-42' }, stsEndpoint: sts.url });

    await driver.observe({ region: 'us-east-1', token: 'tsr-x-0' });
    await driver.observe({ region: 'eu-west-1', token: 'tsr-x-0' });

    expect(sts.calls).toHaveLength(1);
    const [assume] = sts.calls;
    expect(assume!.params).toMatchObject({ Action: 'AssumeRole', RoleArn: ROLE_ARN, ExternalId: 'tessera-ext-42', RoleSessionName: 'tessera-aws-test' });
    expect(assume!.headers.authorization).toContain(`Credential=${EXAMPLE_ACCESS_KEY.accessKeyId}/`);
    const temporary = assume!.result!.credentials.accessKeyId;
    expect(temporary).toMatch(/^ASIA/);
    expect(ec2.calls.map((c) => [c.region, c.accessKeyId, c.httpStatus])).toEqual([
      ['us-east-1', temporary, 200],
      ['eu-west-1', temporary, 200],
    ]);
  });

  it('a role STS will not let us assume: Invalid, naming the role, the trust policy and sts:AssumeRole', async () => {
    const { ec2 } = await withSts();
    const other = `arn:aws:iam::${ACCOUNT}:role/not-for-tessera`;
    const driver = await open(ec2.url, { assumeRole: { roleArn: other }, stsEndpoint: sts.url });
    const e = await providerErrorOf(driver.observe({ region: 'us-east-1', token: 'tsr-x-0' }));
    expect(e).toMatchObject({ errorClass: 'Invalid', providerCode: 'AccessDenied' });
    expect(e.message).toContain(other);
    expect(e.message).toMatch(/trust policy.*sts:AssumeRole/);
    expect(ec2.callCount()).toBe(0);
  });

  it('STS throttling that outlasts the retries is Retryable', async () => {
    const { ec2 } = await withSts();
    const driver = await open(ec2.url, { assumeRole: { roleArn: ROLE_ARN }, stsEndpoint: sts.url, maxAttempts: 1 });
    sts.setFault({ throttleNext: 1 });
    const e = await providerErrorOf(driver.observe({ region: 'us-east-1', token: 'tsr-x-0' }));
    expect(e).toMatchObject({ errorClass: 'Retryable', providerCode: 'Throttling' });
    // The failure is not kept: the next call assumes the role again and succeeds.
    expect(await driver.observe({ region: 'us-east-1', token: 'tsr-x-0' })).toBeNull();
  });
});

describe('offers, regions, images', () => {
  const price = (p: Partial<ListPrice> & Pick<ListPrice, 'flavor' | 'market' | 'priceMicrosPerHour'>): ListPrice => ({
    region: 'us-east-1',
    zone: null,
    vcpus: 0,
    memoryGiB: 0,
    gpus: 0,
    arch: 'x86_64',
    ...p,
  });
  const CATALOG: ListPrice[] = [
    // One on-demand price per zone in the source: one region-wide offer.
    price({ flavor: 'm6i.large', market: 'on-demand', zone: 'use1-az4', priceMicrosPerHour: 96_000 }),
    price({ flavor: 'm6i.large', market: 'on-demand', zone: 'use1-az6', priceMicrosPerHour: 96_000 }),
    // Spot by zone id: use1-az6 is this account's us-east-1b; use1-az9 is not one of its zones.
    price({ flavor: 'm6i.large', market: 'spot', zone: 'use1-az6', priceMicrosPerHour: 41_000 }),
    price({ flavor: 'm6i.large', market: 'spot', zone: 'use1-az9', priceMicrosPerHour: 1_000 }),
    price({ flavor: 'm7g.large', market: 'on-demand', priceMicrosPerHour: 81_600 }),
    price({ flavor: 'g5.xlarge', market: 'on-demand', priceMicrosPerHour: 1_006_000 }),
    price({ flavor: 'm6i.metal', market: 'on-demand', priceMicrosPerHour: 6_144_000 }),
    // A type EC2 does not have in the region, and a region the provider does not use.
    price({ flavor: 'p5.48xlarge', market: 'on-demand', priceMicrosPerHour: 98_320_000 }),
    price({ flavor: 't3.micro', region: 'ap-northeast-2', market: 'on-demand', priceMicrosPerHour: 13_000 }),
  ];

  it('joins the instance types EC2 lists (paged, cached) with the catalog’s prices', async () => {
    // Pages of two: seven types take four DescribeInstanceTypes calls per region.
    const ec2 = await ec2Double({ maxPageSize: 2, regions: [{ name: 'us-east-1', zones: [{ name: 'us-east-1a', id: 'use1-az4' }, { name: 'us-east-1b', id: 'use1-az6' }] }] });
    const asked: string[] = [];
    const driver = await open(ec2.url, { regions: [{ name: 'us-east-1' }], images: [] }, {
      listPrices: async (cloud) => {
        asked.push(cloud);
        return CATALOG;
      },
    });

    const offers = await driver.offers();
    expect(asked).toEqual(['aws']);
    expect(offers.map((o) => [o.flavor, o.market, o.zone, o.priceMicrosPerHour])).toEqual([
      ['g5.xlarge', 'on-demand', null, 1_006_000],
      ['m6i.large', 'on-demand', null, 96_000],
      ['m6i.large', 'spot', 'us-east-1b', 41_000],
      ['m6i.metal', 'on-demand', null, 6_144_000],
      ['m7g.large', 'on-demand', null, 81_600],
    ]);
    // Sizes come from EC2, not the price list.
    expect(offers.find((o) => o.flavor === 'm7g.large')).toMatchObject({ vcpus: 2, memoryGiB: 8, arch: 'arm64', gpus: 0, kind: 'vm', available: null, provider: 'aws-test', region: 'us-east-1' });
    expect(offers.find((o) => o.flavor === 'g5.xlarge')).toMatchObject({ vcpus: 4, memoryGiB: 16, gpus: 1 });
    expect(offers.find((o) => o.flavor === 'm6i.metal')?.kind).toBe('baremetal');
    expect(ec2.callCount('DescribeInstanceTypes')).toBe(4);
    expect(ec2.calls.filter((c) => c.action === 'DescribeInstanceTypes' && c.params['NextToken'])).toHaveLength(3);

    await driver.offers();
    expect(ec2.callCount('DescribeInstanceTypes')).toBe(4); // cached
  });

  it('offers nothing without catalog prices', async () => {
    const ec2 = await ec2Double();
    const driver = await open(ec2.url, {}, { listPrices: async () => [] });
    expect(await driver.offers()).toEqual([]);
  });

  it('regions are the configured ones with their zones; a region the account has not enabled, or that does not exist, says so', async () => {
    const ec2 = await ec2Double();
    expect(await (await open(ec2.url)).regions()).toEqual([
      { provider: 'aws-test', name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], location: null },
      { provider: 'aws-test', name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], location: null },
    ]);
    const optIn = await providerErrorOf((await open(ec2.url, { regions: [{ name: 'us-east-1' }, { name: 'af-south-1' }], images: [] })).regions());
    expect(optIn).toMatchObject({ errorClass: 'Invalid', providerCode: 'OptInRequired' });
    expect(optIn.message).toMatch(/af-south-1.*not enabled.*opt-in status not-opted-in/);
    const nowhere = await providerErrorOf((await open(ec2.url, { regions: [{ name: 'us-east-1' }, { name: 'xx-nowhere-1' }], images: [] })).regions());
    expect(nowhere.message).toMatch(/xx-nowhere-1.*does not exist/);
  });

  it('images are the configured names', async () => {
    const ec2 = await ec2Double();
    expect(await (await open(ec2.url)).images()).toEqual([
      { provider: 'aws-test', name: 'ubuntu-24.04', os: 'linux', arch: 'x86_64' },
      { provider: 'aws-test', name: 'ubuntu-24.04-arm', os: 'linux', arch: 'arm64' },
    ]);
  });
});

async function waitFor(driver: Driver, instance: ObservedInstance, state: ObservedInstance['state']): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const o = await driver.observe({ region: instance.region, externalId: instance.externalId });
    if (o?.state === state) return;
    if (Date.now() > deadline) throw new Error(`${instance.externalId} did not become ${state} (last ${o?.state ?? 'gone'})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
