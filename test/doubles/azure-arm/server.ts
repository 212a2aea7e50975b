import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createBmcCertificate } from '../redfish/certificate.js';
import { ArmError } from './arm-error.js';
import type { ArmAnswer, ArmRequest } from './arm-request.js';
import { ComputeProvider, DISK_TYPE, VM_TYPE, type ImageCatalog } from './compute.js';
import { EntraDirectory, type ServicePrincipal, type TokenAnswer } from './entra-id.js';
import { ArmFaults } from './faults.js';
import { NetworkProvider, NIC_TYPE } from './network.js';
import { answerOperation } from './operations.js';
import { allows, authorizationFailed } from './rbac.js';
import { key, type DiskRecord, type NicRecord, type PowerState, type SubnetConfig, type VmRecord } from './resources.js';
import { SkuCatalog, type SkuConfig } from './skus.js';
import { ArmWorld } from './world.js';

export type { DoubleFaults, InjectedCreateFailure } from './faults.js';
export type { ServicePrincipal } from './entra-id.js';
export type { SkuConfig } from './skus.js';
export type { ImageCatalog } from './compute.js';
export type { SubnetConfig, VmRecord, NicRecord, DiskRecord } from './resources.js';

/**
 * A wire-level double of Azure Resource Manager for one subscription, with the Entra ID token endpoint in front
 * of it, on HTTPS at 127.0.0.1 (a self-signed certificate: the Azure pipeline refuses bearer tokens over plain
 * http). It speaks the documented REST API the official SDKs use — ARM's RPC conventions (api-version, the
 * `{"error":{…}}` envelope, 201/202 + Azure-AsyncOperation for long-running operations, nextLink paging, 429
 * with Retry-After, 401 without a valid bearer token, 403 for a missing role assignment) — for
 * Microsoft.Compute virtual machines, disks and SKUs and Microsoft.Network network interfaces, and keeps their
 * state (compute.ts, network.ts). Faults are injectable (faults.ts).
 */

export interface AzureArmDoubleOptions {
  subscriptionId: string;
  tenantId: string;
  principals: ServicePrincipal[];
  resourceGroups: string[];
  subnets: SubnetConfig[];
  skus: SkuConfig[];
  images: ImageCatalog;
  /** Regional vCPU quotas (location → vCPUs); locations not named have no limit. */
  vcpuQuota?: Record<string, number>;
  /** How long a VM takes to be created, start, stop, restart or be deleted; default 150 ms. */
  transitionMs?: number;
  /** How long a NIC create and a NIC or disk delete take; default 30 ms. */
  quickMs?: number;
  /** Items per list page; default 20. */
  pageSize?: number;
  tokenLifetimeSeconds?: number;
}

/** One request as the double saw it (no secrets: form bodies of the token endpoint are left out). */
export interface RecordedArmCall {
  method: string;
  path: string;
  /** The RBAC action it needed (`Microsoft.Compute/virtualMachines/write`), or `token` / `openid-configuration`. */
  action: string;
  status: number;
  /** The signed-in principal's client id, if the bearer token was valid. */
  clientId: string | null;
  /** The JSON body sent, if any. */
  body: unknown;
}

/** A VM made outside Tessera (the portal, a template), put straight into the double's state. */
export interface SeededVm {
  name: string;
  resourceGroup: string;
  location: string;
  vmSize: string;
  zone?: string;
  tags?: Record<string, string>;
  powerState?: PowerState;
  subnetId: string;
}

/** ARM accepts tokens for these resources, and the double for its own URL as well. */
const PUBLIC_ARM_AUDIENCES = ['https://management.azure.com', 'https://management.core.windows.net'];

export class AzureArmDouble {
  /** `https://127.0.0.1:PORT`: both the ARM endpoint and the Entra ID authority host. */
  url = '';
  readonly caPem: string;
  readonly faults = new ArmFaults();
  readonly calls: RecordedArmCall[] = [];
  readonly entra: EntraDirectory;
  private readonly world: ArmWorld;
  private readonly compute: ComputeProvider;
  private readonly network: NetworkProvider;
  private server!: Server;
  private readonly keyPem: string;

  private constructor(options: AzureArmDoubleOptions) {
    // A self-signed certificate for 127.0.0.1; the driver trusts it through its caCertificate setting.
    const certificate = createBmcCertificate('azure-arm-double');
    this.caPem = certificate.certPem;
    this.keyPem = certificate.keyPem;
    this.entra = new EntraDirectory(options.tenantId, options.principals, options.tokenLifetimeSeconds ?? 3600);
    this.world = new ArmWorld(
      options.subscriptionId,
      options.resourceGroups,
      options.subnets,
      new SkuCatalog(options.skus),
      this.faults,
      options.transitionMs ?? 150,
      options.quickMs ?? 30,
      options.vcpuQuota ?? {},
      options.pageSize ?? 20,
    );
    this.compute = new ComputeProvider(this.world, options.images);
    this.network = new NetworkProvider(this.world);
  }

  static async start(options: AzureArmDoubleOptions): Promise<AzureArmDouble> {
    const double = new AzureArmDouble(options);
    double.server = createServer({ key: double.keyPem, cert: double.caPem }, (req, res) => void double.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => double.server.listen(0, '127.0.0.1', resolve));
    double.url = `https://127.0.0.1:${(double.server.address() as AddressInfo).port}`;
    double.world.baseUrl = double.url;
    return double;
  }

  get subscriptionId(): string {
    return this.world.subscriptionId;
  }

  vms(): VmRecord[] {
    return [...this.world.vms.values()];
  }

  nics(): NicRecord[] {
    return [...this.world.nics.values()];
  }

  disks(): DiskRecord[] {
    return [...this.world.disks.values()];
  }

  /** How many requests needed this RBAC action (or `token`). */
  callCount(action: string): number {
    return this.calls.filter((c) => c.action.toLowerCase() === action.toLowerCase()).length;
  }

  /** Every RBAC action some request needed, each once. */
  actionsUsed(): string[] {
    return [...new Set(this.calls.map((c) => c.action).filter((a) => a.includes('/')))].sort();
  }

  /** Puts a running VM made outside Tessera into the state, with its NIC and OS disk. */
  seedVm(seed: SeededVm): VmRecord {
    const vmId = this.world.resourceId(seed.resourceGroup, VM_TYPE, seed.name);
    const nicId = this.world.resourceId(seed.resourceGroup, NIC_TYPE, `${seed.name}-nic`);
    const diskId = this.world.resourceId(seed.resourceGroup, DISK_TYPE, `${seed.name}_OsDisk_1`);
    const subnet = this.world.subnets.get(key(seed.subnetId));
    if (!subnet) throw new Error(`the double has no subnet ${seed.subnetId}`);
    const index = this.world.nics.size + 4;
    this.world.nics.set(key(nicId), {
      id: nicId,
      name: `${seed.name}-nic`,
      resourceGroup: seed.resourceGroup,
      location: seed.location,
      tags: {},
      ipConfigurationName: 'ipconfig1',
      subnetId: subnet.id,
      privateIp: `10.99.${Math.floor(index / 250)}.${index % 250}`,
      provisioningState: 'Succeeded',
      virtualMachineId: vmId,
      resourceGuid: randomUUID(),
    });
    this.world.disks.set(key(diskId), {
      id: diskId,
      name: `${seed.name}_OsDisk_1`,
      resourceGroup: seed.resourceGroup,
      location: seed.location,
      storageAccountType: 'Premium_LRS',
      sizeGiB: 30,
      managedBy: vmId,
      timeCreated: new Date().toISOString(),
    });
    const vm: VmRecord = {
      id: vmId,
      name: seed.name,
      resourceGroup: seed.resourceGroup,
      location: seed.location,
      ...(seed.zone ? { zones: [seed.zone] } : {}),
      tags: seed.tags ?? {},
      properties: {
        hardwareProfile: { vmSize: seed.vmSize },
        storageProfile: {
          imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
          osDisk: { name: `${seed.name}_OsDisk_1`, createOption: 'FromImage', managedDisk: { storageAccountType: 'Premium_LRS' } },
        },
        osProfile: { computerName: seed.name, adminUsername: 'azureuser', linuxConfiguration: { disablePasswordAuthentication: true } },
        networkProfile: { networkInterfaces: [{ id: nicId, properties: { primary: true } }] },
      },
      provisioningState: 'Succeeded',
      powerState: seed.powerState ?? 'running',
      vmId: randomUUID(),
      timeCreated: new Date().toISOString(),
    };
    this.world.vms.set(key(vmId), vm);
    return vm;
  }

  async close(): Promise<void> {
    this.world.stopTimers();
    await new Promise<void>((resolve, reject) => {
      this.server.close((e) => (e ? reject(e) : resolve()));
      // The SDK keeps connections alive; without this, close() would wait for them to idle out.
      this.server.closeAllConnections();
    });
  }

  // ---- Serving ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    const url = new URL(req.url ?? '/', this.url);
    const method = (req.method ?? 'GET').toUpperCase();
    const call: RecordedArmCall = { method, path: url.pathname + url.search, action: 'unrouted', status: 0, clientId: null, body: undefined };

    let answer: ArmAnswer;
    const entra = this.entraAnswer(method, url, text, call);
    if (entra) {
      answer = { status: entra.status, body: entra.body };
    } else {
      try {
        answer = this.arm(method, url, req.headers.authorization, text, call);
      } catch (e) {
        const error = e instanceof ArmError ? e : new ArmError(500, 'InternalServerError', `bug in the ARM double: ${(e as Error).stack}`);
        answer = { status: error.status, body: error.envelope(), headers: error.headers };
      }
    }
    call.status = answer.status;
    this.calls.push(call);
    if (answer.dropConnection) {
      // Processed, and then the answer is lost: the client sees a reset connection.
      req.socket.destroy();
      return;
    }
    const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      'content-length': Buffer.byteLength(body),
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': randomUUID(),
      ...answer.headers,
    });
    res.end(body);
  }

  /** The Entra ID endpoints, or null when the request is for ARM. */
  private entraAnswer(method: string, url: URL, text: string, call: RecordedArmCall): TokenAnswer | null {
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token && method === 'POST') {
      call.action = 'token';
      return this.entra.token(token[1]!, new URLSearchParams(text));
    }
    const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (discovery && method === 'GET') {
      call.action = 'openid-configuration';
      return this.entra.openIdConfiguration(this.url, discovery[1]!);
    }
    return null;
  }

  private arm(method: string, url: URL, authorization: string | undefined, text: string, call: RecordedArmCall): ArmAnswer {
    const principal = this.authenticate(authorization);
    call.clientId = principal.clientId;
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) throw new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
      }
    }
    call.body = body;
    const routed = this.route(method, url);
    call.action = routed.action;
    const fault = this.faults.takeFrontDoorFault();
    if (fault) throw fault;
    if (!allows(principal, routed.action)) throw authorizationFailed(principal.clientId, routed.action, routed.scope);
    const req: ArmRequest = { method, url, resourceGroup: routed.resourceGroup, name: routed.name, subPath: routed.subPath, body, apiVersion, principal, action: routed.action, scope: routed.scope };
    return routed.handle(req);
  }

  private authenticate(authorization: string | undefined): ServicePrincipal {
    const challenge = (description: string) => ({
      'www-authenticate': `Bearer authorization_uri="${this.url}/${this.entra.tenantId}", error="invalid_token", error_description="${description}"`,
    });
    const bearer = /^Bearer (.+)$/i.exec(authorization ?? '');
    if (!bearer) throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", challenge('The authentication failed because of missing Authorization header.'));
    const token = this.entra.lookup(bearer[1]!);
    if (!token) throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge('The access token is invalid.'));
    if (token.expiresAt <= Date.now()) {
      throw new ArmError(401, 'ExpiredAuthenticationToken', `The access token expiry UTC time '${new Date(token.expiresAt).toUTCString()}' is earlier than current UTC time '${new Date().toUTCString()}'.`, challenge('The access token has expired.'));
    }
    const audience = token.audience.replace(/\/+$/, '').toLowerCase();
    if (![this.url, ...PUBLIC_ARM_AUDIENCES].some((a) => a.toLowerCase() === audience)) {
      throw new ArmError(
        401,
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${token.audience}'. It should exactly match with one of the allowed audiences '${[this.url, ...PUBLIC_ARM_AUDIENCES].join("','")}'.`,
        challenge('The access token has been obtained for wrong audience.'),
      );
    }
    return this.entra.principal(token.clientId)!;
  }

  /** Which handler serves a request, the RBAC action it needs and the scope that action is checked on. */
  private route(
    method: string,
    url: URL,
  ): { action: string; scope: string; resourceGroup: string | null; name: string | null; subPath: string | null; handle: (req: ArmRequest) => ArmAnswer } {
    const seg = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const unknownRoute = () =>
      new ArmError(404, 'InvalidResourceType', `The resource type could not be found for ${method} ${url.pathname}. (The ARM double does not implement this route.)`);
    if (seg[0]?.toLowerCase() !== 'subscriptions' || !seg[1]) throw unknownRoute();
    if (seg[1].toLowerCase() !== this.world.subscriptionId.toLowerCase()) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${seg[1]}' could not be found.`);
    let rest = seg.slice(2);
    let resourceGroup: string | null = null;
    if (rest[0]?.toLowerCase() === 'resourcegroups' && rest[1]) {
      resourceGroup = rest[1];
      if (!this.world.resourceGroups.has(key(resourceGroup))) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
      rest = rest.slice(2);
    }
    if (rest[0]?.toLowerCase() !== 'providers' || rest.length < 3) throw unknownRoute();
    const namespace = rest[1]!.toLowerCase();
    const type = rest[2]!.toLowerCase();
    const name = rest[3] ?? null;
    const subPath = rest.slice(4).join('/') || null;
    const scope = url.pathname;
    const at = (action: string, handle: (req: ArmRequest) => ArmAnswer) => ({ action, scope, resourceGroup, name, subPath, handle });

    if (resourceGroup === null && type === 'locations' && subPath !== null && /^operations\/[^/]+$/i.test(subPath) && method === 'GET') {
      const ns = namespace === 'microsoft.compute' ? 'Microsoft.Compute' : namespace === 'microsoft.network' ? 'Microsoft.Network' : null;
      if (!ns) throw unknownRoute();
      const operationId = subPath.split('/')[1]!;
      return at(`${ns}/locations/operations/read`, (req) => answerOperation(this.world.operations, operationId, req.url));
    }
    if (namespace === 'microsoft.compute' && type === 'skus' && resourceGroup === null && name === null && method === 'GET') {
      return at('Microsoft.Compute/skus/read', (req) => ({ status: 200, body: { value: this.world.skus.list(req.url.searchParams.get('$filter')) } }));
    }
    if (namespace === 'microsoft.compute' && type === 'virtualmachines') {
      if (name === null && method === 'GET') return at(`${VM_TYPE}/read`, (req) => this.compute.listVms(req));
      if (name !== null && resourceGroup !== null && subPath === null) {
        if (method === 'GET') return at(`${VM_TYPE}/read`, (req) => this.compute.getVm(req));
        if (method === 'PUT') return at(`${VM_TYPE}/write`, (req) => this.compute.putVm(req));
        if (method === 'DELETE') return at(`${VM_TYPE}/delete`, (req) => this.compute.deleteVm(req));
      }
      if (name !== null && resourceGroup !== null && subPath?.toLowerCase() === 'instanceview' && method === 'GET') {
        return at(`${VM_TYPE}/instanceView/read`, (req) => this.compute.instanceView(req));
      }
      const vmAction = { start: 'start', poweroff: 'powerOff', restart: 'restart', deallocate: 'deallocate' }[subPath?.toLowerCase() ?? ''];
      if (name !== null && resourceGroup !== null && vmAction && method === 'POST') return at(`${VM_TYPE}/${vmAction}/action`, (req) => this.compute.vmAction(req));
    }
    if (namespace === 'microsoft.compute' && type === 'disks' && name !== null && resourceGroup !== null && subPath === null) {
      if (method === 'GET') return at(`${DISK_TYPE}/read`, (req) => this.compute.getDisk(req));
      if (method === 'DELETE') return at(`${DISK_TYPE}/delete`, (req) => this.compute.deleteDisk(req));
    }
    if (namespace === 'microsoft.network' && type === 'networkinterfaces' && subPath === null) {
      if (name === null && method === 'GET') return at(`${NIC_TYPE}/read`, (req) => this.network.listNics(req));
      if (name !== null && resourceGroup !== null) {
        if (method === 'GET') return at(`${NIC_TYPE}/read`, (req) => this.network.getNic(req));
        if (method === 'PUT') return at(`${NIC_TYPE}/write`, (req) => this.network.putNic(req));
        if (method === 'DELETE') return at(`${NIC_TYPE}/delete`, (req) => this.network.deleteNic(req));
      }
    }
    throw unknownRoute();
  }
}
