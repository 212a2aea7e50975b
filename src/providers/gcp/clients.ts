import { InstancesClient, MachineTypesClient, ZoneOperationsClient, ZonesClient } from '@google-cloud/compute';
import type { GoogleAuth } from 'google-auth-library';
import type { GcpConfig } from './config.js';

/**
 * The Compute Engine API clients the driver uses, over the SDK's REST/JSON transport (`fallback: true`), all
 * sharing one auth client (so one access token). `apiEndpoint` / `port` / `protocol` point them at a Private
 * Service Connect endpoint or a local test endpoint instead of compute.googleapis.com.
 */
export class ComputeClients {
  readonly instances: InstancesClient;
  readonly zoneOperations: ZoneOperationsClient;
  readonly machineTypes: MachineTypesClient;
  readonly zones: ZonesClient;

  constructor(config: GcpConfig, auth: GoogleAuth) {
    const options = {
      fallback: true as const,
      auth,
      ...(config.apiEndpoint !== undefined && { apiEndpoint: config.apiEndpoint, protocol: config.protocol }),
      ...(config.port !== undefined && { port: config.port }),
    };
    this.instances = new InstancesClient(options);
    this.zoneOperations = new ZoneOperationsClient(options);
    this.machineTypes = new MachineTypesClient(options);
    this.zones = new ZonesClient(options);
  }

  async close(): Promise<void> {
    await Promise.all([this.instances.close(), this.zoneOperations.close(), this.machineTypes.close(), this.zones.close()]);
  }
}
