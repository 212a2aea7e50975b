import { tmpdir } from 'node:os';
import type { CreateRequest, Driver, DriverContext } from '../../src/providers/driver.js';
import type { AwsConfigInput } from '../../src/providers/aws/config.js';
import { createAwsDriver } from '../../src/providers/aws/driver.js';
import { Ec2Double, EXAMPLE_ACCESS_KEY } from '../doubles/ec2/server.js';
import { conformanceRequest, driverConformance } from './conformance.js';
import { freePort } from '../support/server-process.js';

/**
 * The driver conformance suite against the EC2 wire double: @aws-sdk/client-ec2 signs, sends, retries and parses
 * every call as it would against EC2.
 */

const UBUNTU_AMI = 'ami-0a1b2c3d4e5f60718';
/** Creates in this zone meet InsufficientInstanceCapacity; the others have room. */
const FULL_ZONE = 'us-east-1c';
const ctx: DriverContext = { dataDir: tmpdir(), credentials: { ...EXAMPLE_ACCESS_KEY } };

let ec2: Ec2Double | undefined;

function config(endpoint: string, extra: Partial<AwsConfigInput> = {}): AwsConfigInput {
  return { regions: [{ name: 'us-east-1' }], images: [{ name: 'ubuntu-24.04', amis: { 'us-east-1': UBUNTU_AMI } }], endpoint, ...extra };
}

function request(name: string, overrides: Partial<CreateRequest> = {}): CreateRequest {
  return conformanceRequest(name, { region: 'us-east-1', flavor: 'm6i.large', image: 'ubuntu-24.04' }, overrides);
}

/** A driver whose closing also stops the double it was made for. */
function closingWith(driver: Driver, double: Ec2Double): Driver {
  const closeDriver = driver.close?.bind(driver);
  return Object.assign(driver, {
    close: async () => {
      await closeDriver?.();
      await double.close();
    },
  });
}

driverConformance({
  label: 'aws (EC2 wire double)',
  kind: 'vm',
  open: async () => {
    ec2 = await Ec2Double.start({ transitionMs: 150 });
    ec2.faults.capacityIn(FULL_ZONE);
    return createAwsDriver('conformance-aws', config(ec2.url), ctx);
  },
  close: async () => ec2?.close(),
  request: (name) => request(name),
  provoke: {
    // A well-formed AMI id that does not exist in the region: EC2 answers InvalidAMIID.NotFound.
    invalid: (name) => request(name, { image: 'ami-00000000000000bad' }),
    capacity: (name) => request(name, { zone: FULL_ZONE }),
    quota: (name) => ({
      driver: async () => {
        const limited = await Ec2Double.start();
        limited.faults.quotaExceeded(true);
        return closingWith(await createAwsDriver('conformance-aws-quota', config(limited.url), ctx), limited);
      },
      request: request(name),
    }),
    retryable: async () => createAwsDriver('conformance-aws-down', config(`http://127.0.0.1:${await freePort()}`, { maxAttempts: 2 }), ctx),
  },
  settleMs: 10_000,
});
