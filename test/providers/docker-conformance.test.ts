import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateRequest, DriverContext } from '../../src/providers/driver.js';
import { DEFAULT_DOCKER_FLAVORS, type DockerConfigInput } from '../../src/providers/docker/config.js';
import { createDockerDriver } from '../../src/providers/docker/driver.js';
import { startDockerd, type PrivateDockerd } from '../support/dockerd.js';
import { conformanceRequest, driverConformance } from './conformance.js';

/** The driver conformance suite against a real (private) dockerd: every case talks to the engine. */

let dockerd: PrivateDockerd | undefined;
const ctx: DriverContext = { dataDir: tmpdir(), credentials: null };

function engine(): PrivateDockerd {
  if (!dockerd) throw new Error('the private dockerd is not running: open() starts it');
  return dockerd;
}

function config(extra: Partial<DockerConfigInput> = {}): DockerConfigInput {
  return {
    hosts: [{ name: 'local', socketPath: engine().socketPath }],
    // One flavor no host here can hold: 1,024 vCPUs.
    flavors: [...DEFAULT_DOCKER_FLAVORS, { name: 'huge', vcpus: 1024, memoryGiB: 1 }],
    // Containers here exit on SIGTERM at once; a short grace keeps a hung one from slowing the suite.
    stopTimeoutSeconds: 5,
    ...extra,
  };
}

function request(name: string, overrides: Partial<CreateRequest> = {}): CreateRequest {
  return conformanceRequest(name, { region: 'local', flavor: 'c1.tiny', image: engine().image }, overrides);
}

driverConformance({
  label: 'docker (private dockerd, vfs)',
  kind: 'container',
  open: async () => {
    dockerd = await startDockerd();
    return createDockerDriver('conformance-docker', config(), ctx);
  },
  close: async () => dockerd?.stop(),
  request: (name) => request(name),
  provoke: {
    invalid: (name) => request(name, { image: 'tessera-test/not-on-this-host:1' }),
    capacity: (name) => request(name, { flavor: 'huge' }),
    quota: (name) => ({
      driver: () => createDockerDriver('conformance-docker-quota', config({ maxContainers: 0 }), ctx),
      request: request(name),
    }),
    retryable: () =>
      createDockerDriver('conformance-docker-down', { hosts: [{ name: 'down', socketPath: join(tmpdir(), `no-dockerd-here-${process.pid}.sock`) }] }, ctx),
  },
  settleMs: 30_000,
});
