import { tmpdir } from 'node:os';
import type { CreateRequest, DriverContext } from '../../src/providers/driver.js';
import type { GcpConfigInput } from '../../src/providers/gcp/config.js';
import { createGcpDriver } from '../../src/providers/gcp/driver.js';
import { startGceDouble, type GceDouble } from '../doubles/gce/server.js';
import { makeServiceAccountKey } from '../doubles/gce/service-account-key.js';
import { conformanceRequest, driverConformance } from './conformance.js';
import { freePort } from '../support/server-process.js';

/**
 * The driver conformance suite against the GCE wire double: @google-cloud/compute over REST, signed in with a
 * service-account key whose JWT the double's OAuth endpoint trades for a bearer token.
 */

const PROJECT = 'tessera-conformance';
const QUOTA_PROJECT = 'tessera-no-cpus';
const key = makeServiceAccountKey(PROJECT);
const ctx: DriverContext = { dataDir: tmpdir(), credentials: { ...key.keyFile } };
let double: GceDouble | undefined;

function gce(): GceDouble {
  if (!double) throw new Error('the GCE double is not running: open() starts it');
  return double;
}

function config(extra: Partial<GcpConfigInput> = {}): GcpConfigInput {
  return {
    project: PROJECT,
    regions: [{ name: 'us-central1', zones: ['us-central1-a', 'us-central1-b', 'us-central1-f'] }],
    apiEndpoint: gce().host,
    port: gce().port,
    protocol: 'http',
    tokenUrl: gce().tokenUrl,
    operationPollIntervalMs: 20,
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 },
    ...extra,
  };
}

function request(name: string, overrides: Partial<CreateRequest> = {}): CreateRequest {
  return conformanceRequest(name, { region: 'us-central1', flavor: 'e2-small', image: 'debian-12' }, overrides);
}

driverConformance({
  label: 'gcp (@google-cloud/compute REST → GCE wire double)',
  kind: 'vm',
  open: async () => {
    double = await startGceDouble({ serviceAccounts: [key.publicKey], cpuQuota: { [QUOTA_PROJECT]: 0 } });
    // One zone of the region has no room: creates that name no zone move on; one that names it meets the error.
    double.faults.capacityIn('us-central1-f');
    return createGcpDriver('conformance-gcp', config(), ctx);
  },
  close: async () => double?.close(),
  request: (name) => request(name),
  provoke: {
    invalid: (name) => request(name, { image: 'projects/debian-cloud/global/images/family/debian-99' }),
    capacity: (name) => request(name, { zone: 'us-central1-f' }),
    quota: (name) => ({
      driver: () => createGcpDriver('conformance-gcp-quota', config({ project: QUOTA_PROJECT }), ctx),
      request: request(name),
    }),
    retryable: async () => createGcpDriver('conformance-gcp-down', config({ port: await freePort(), retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 } }), ctx),
  },
  settleMs: 10_000,
});
