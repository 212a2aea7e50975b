import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ec2Double, EXAMPLE_ACCESS_KEY } from './server.js';

/** The EC2 double's own wire behaviour: what a driver test relies on without seeing it. */

const AMI = 'ami-0a1b2c3d4e5f60718';
let ec2: Ec2Double;
const clients: EC2Client[] = [];

beforeEach(async () => {
  ec2 = await Ec2Double.start({ transitionMs: 20, terminatedVisibleMs: 100 });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await ec2.close();
});

function client(region = 'us-east-1', credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = EXAMPLE_ACCESS_KEY): EC2Client {
  const c = new EC2Client({ region, endpoint: ec2.url, credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
}

const launch = (extra: Partial<RunInstancesCommandInput> = {}) => new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm6i.large', MinCount: 1, MaxCount: 1, ...extra });

async function errorOf(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  const e = (await p.then(
    () => undefined,
    (err: unknown) => err,
  )) as { name: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e) throw new Error('expected the call to fail');
  return { name: e.name, status: e.$metadata?.httpStatusCode };
}

describe('the EC2 Query protocol', () => {
  it('answers an unsigned request with EC2’s error envelope (Response/Errors/Error, RequestID)', async () => {
    const res = await fetch(ec2.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeInstances&Version=2016-11-15',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('text/xml;charset=UTF-8');
    const requestId = res.headers.get('x-amzn-requestid');
    expect(await res.text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<Response><Errors><Error><Code>MissingParameter</Code><Message>The request must contain the parameter AWSAccessKeyId</Message></Error></Errors>' +
        `<RequestID>${requestId}</RequestID></Response>`,
    );
  });

  it('checks the SigV4 signature: a body altered after signing is SignatureDoesNotMatch; an unknown key is AuthFailure', async () => {
    const tampering = client();
    tampering.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: string };
        request.body = request.body.replace('MaxCount=1', 'MaxCount=9');
        return next(args);
      },
      { step: 'deserialize', name: 'tamperAfterSigning' },
    );
    expect(await errorOf(tampering.send(launch()))).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(await errorOf(client('us-east-1', { accessKeyId: 'AKIANOBODY0000000000', secretAccessKey: 'x' }).send(launch()))).toEqual({ name: 'AuthFailure', status: 401 });
    expect(ec2.instances()).toHaveLength(0);
  });

  it('a temporary key must come with its session token', async () => {
    ec2.addAccessKey({ accessKeyId: 'ASIATEMPORARY0000000', secretAccessKey: 'temp', sessionToken: 'the-token' });
    expect(await errorOf(client('us-east-1', { accessKeyId: 'ASIATEMPORARY0000000', secretAccessKey: 'temp' }).send(new DescribeInstancesCommand({})))).toEqual({ name: 'AuthFailure', status: 401 });
    await client('us-east-1', { accessKeyId: 'ASIATEMPORARY0000000', secretAccessKey: 'temp', sessionToken: 'the-token' }).send(new DescribeInstancesCommand({}));
  });

  it('serves every region from one endpoint, by the credential scope; a region not opted into refuses the credentials', async () => {
    await client('eu-west-1').send(launch());
    expect((await client('us-east-1').send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
    expect((await client('eu-west-1').send(new DescribeInstancesCommand({}))).Reservations).toHaveLength(1);
    expect(await errorOf(client('af-south-1').send(new DescribeInstancesCommand({})))).toEqual({ name: 'AuthFailure', status: 401 });
  });
});

describe('RunInstances ClientToken semantics', () => {
  it('same token and parameters: the same reservation; other parameters: IdempotentParameterMismatch; a failed launch binds nothing', async () => {
    const c = client();
    const first = await c.send(launch({ ClientToken: 'tok-1' }));
    const again = await c.send(launch({ ClientToken: 'tok-1' }));
    expect(again.ReservationId).toBe(first.ReservationId);
    expect(again.Instances?.[0]?.InstanceId).toBe(first.Instances?.[0]?.InstanceId);
    expect(await errorOf(c.send(launch({ ClientToken: 'tok-1', InstanceType: 'c6i.large' })))).toEqual({ name: 'IdempotentParameterMismatch', status: 400 });

    ec2.faults.capacityIn('us-east-1');
    expect(await errorOf(c.send(launch({ ClientToken: 'tok-2' })))).toEqual({ name: 'InsufficientInstanceCapacity', status: 500 });
    ec2.faults.capacityIn(null);
    await c.send(launch({ ClientToken: 'tok-2' }));
    expect(ec2.instances()).toHaveLength(2);
  });

  it('the same token in another region launches another instance there (tokens are per region)', async () => {
    await client('us-east-1').send(launch({ ClientToken: 'tok-r' }));
    await client('eu-west-1').send(launch({ ClientToken: 'tok-r' }));
    expect(ec2.instances().map((i) => i.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
  });
});

describe('DescribeInstances', () => {
  it('pages with a NextToken that only its own query may use, and refuses MaxResults with instance ids', async () => {
    const c = client();
    await c.send(launch({ MinCount: 7, MaxCount: 7 }));
    const first = await c.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    expect(first.Reservations?.[0]?.Instances).toHaveLength(5);
    expect(first.NextToken).toBeTruthy();
    const second = await c.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: first.NextToken }));
    expect(second.Reservations?.[0]?.Instances).toHaveLength(2);
    expect(second.NextToken).toBeUndefined();
    const otherQuery = new DescribeInstancesCommand({ MaxResults: 5, NextToken: first.NextToken, Filters: [{ Name: 'instance-type', Values: ['m6i.large'] }] });
    expect(await errorOf(c.send(otherQuery))).toEqual({ name: 'InvalidParameterValue', status: 400 });
    expect(await errorOf(c.send(new DescribeInstancesCommand({ MaxResults: 4 })))).toEqual({ name: 'InvalidParameterValue', status: 400 });
    const id = first.Reservations![0]!.Instances![0]!.InstanceId!;
    expect(await errorOf(c.send(new DescribeInstancesCommand({ InstanceIds: [id], MaxResults: 5 })))).toEqual({ name: 'InvalidParameterCombination', status: 400 });
    expect(await errorOf(c.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })))).toEqual({ name: 'InvalidInstanceID.NotFound', status: 400 });
    expect(await errorOf(c.send(new DescribeInstancesCommand({ InstanceIds: ['i-nope'] })))).toEqual({ name: 'InvalidInstanceID.Malformed', status: 400 });
    expect(await errorOf(c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'flavour', Values: ['x'] }] })))).toEqual({ name: 'InvalidParameterValue', status: 400 });
  });

  it('filters by tag with EC2 wildcards, and lists a terminated instance for a while, then no more', async () => {
    const c = client();
    const run = await c.send(launch({ TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'platform-a' }] }] }));
    const byTag = async (value: string) => (await c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:team', Values: [value] }] }))).Reservations?.length ?? 0;
    expect([await byTag('platform-*'), await byTag('platform-?'), await byTag('platform'), await byTag('platform-\\*')]).toEqual([1, 1, 0, 0]);

    const id = run.Instances![0]!.InstanceId!;
    await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await new Promise((r) => setTimeout(r, 40));
    expect(ec2.instances()[0]?.state).toBe('terminated');
    await new Promise((r) => setTimeout(r, 120));
    expect(ec2.instances()).toEqual([]);
    expect(await errorOf(c.send(new TerminateInstancesCommand({ InstanceIds: [id] })))).toEqual({ name: 'InvalidInstanceID.NotFound', status: 400 });
  });
});
