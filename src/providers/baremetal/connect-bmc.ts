import type { Bmc, BmcCredentials } from './bmc.js';
import type { BaremetalConfig } from './config.js';
import { IpmiBmc } from './ipmi.js';
import type { BmcRecord } from './machine.js';
import { RedfishBmc } from './redfish.js';

const IPMI_PORT = 623;

/** A client for one machine's BMC, speaking whichever protocol it was enrolled with. */
export function connectBmc(bmc: BmcRecord, credentials: BmcCredentials, config: BaremetalConfig, owner: { provider: string; machine: string }): Bmc {
  if (bmc.protocol === 'ipmi') return new IpmiBmc(parseIpmiEndpoint(bmc.endpoint), credentials, config.ipmi, owner);
  return new RedfishBmc(
    { baseUrl: bmc.endpoint, systemId: bmc.systemId, caPem: bmc.caPem },
    credentials,
    { auth: config.redfish.auth, timeoutMs: config.redfish.timeoutSeconds * 1000 },
    owner,
  );
}

/** `host`, `host:port` or `[v6]:port` → host and port (623, the RMCP port, by default). */
export function parseIpmiEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^(\[([0-9a-fA-F:.]+)\]|[^:]+)(?::(\d+))?$/.exec(endpoint);
  if (!m) throw new Error(`"${endpoint}" is not an IPMI endpoint: write host or host:port`);
  return { host: m[2] ?? m[1]!, port: m[3] ? Number(m[3]) : IPMI_PORT };
}
