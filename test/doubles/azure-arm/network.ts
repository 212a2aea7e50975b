import { randomUUID } from 'node:crypto';
import { ArmError, notFound } from './arm-error.js';
import { asObject, bodyObject, requireLinked, type ArmAnswer, type ArmRequest } from './arm-request.js';
import type { AsyncOperation } from './operations.js';
import { pageOf } from './paging.js';
import { key, type NicRecord } from './resources.js';
import type { ArmWorld } from './world.js';

/**
 * The Microsoft.Network resource provider of the double, as far as a VM needs it: network interfaces (create-or-
 * update on a subnet with a dynamic private address, get, list with nextLink, delete) and their operation status
 * resources. A NIC in use by a VM cannot be deleted (`NicInUse`); a subnet that does not exist is
 * `InvalidResourceReference`, as Network answers a wrong reference.
 */

export const NIC_TYPE = 'Microsoft.Network/networkInterfaces';

export class NetworkProvider {
  constructor(private readonly world: ArmWorld) {}

  listNics(req: ArmRequest): ArmAnswer {
    const rg = req.resourceGroup?.toLowerCase();
    const nics = [...this.world.nics.values()].filter((n) => rg === undefined || n.resourceGroup.toLowerCase() === rg).sort((a, b) => a.name.localeCompare(b.name));
    const page = pageOf(nics, req.url, this.world.baseUrl, this.world.pageSize);
    return { status: 200, body: { value: page.value.map(renderNic), ...(page.nextLink ? { nextLink: page.nextLink } : {}) } };
  }

  getNic(req: ArmRequest): ArmAnswer {
    return { status: 200, body: renderNic(this.nic(req)) };
  }

  putNic(req: ArmRequest): ArmAnswer {
    const body = bodyObject(req);
    const rg = req.resourceGroup!;
    const id = this.world.resourceId(rg, NIC_TYPE, req.name!);
    const location = typeof body.location === 'string' ? body.location.toLowerCase() : '';
    if (!location) throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    const ipConfigs = (Array.isArray(asObject(body.properties).ipConfigurations) ? (asObject(body.properties).ipConfigurations as unknown[]) : []).map(asObject);
    if (ipConfigs.length === 0) throw new ArmError(400, 'NetworkInterfaceMustHaveAtLeastOneIpConfiguration', `Network interface ${id} must have one or more IP configurations.`);
    const ipConfig = ipConfigs[0]!;
    const subnetId = String(asObject(asObject(ipConfig.properties).subnet).id ?? '');
    requireLinked(req, 'Microsoft.Network/virtualNetworks/subnets/join/action', subnetId);
    const subnet = this.world.subnets.get(key(subnetId));
    if (!subnet) {
      throw new ArmError(400, 'InvalidResourceReference', `Resource ${subnetId} referenced by resource ${id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`);
    }
    if (subnet.location !== location) {
      throw new ArmError(400, 'InvalidResourceReference', `Resource ${subnetId} referenced by resource ${id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`);
    }
    const existing = this.world.nics.get(key(id));
    const nic: NicRecord = existing ?? {
      id,
      name: req.name!,
      resourceGroup: rg,
      location,
      tags: {},
      ipConfigurationName: String(ipConfig.name ?? 'ipconfig1'),
      subnetId: subnet.id,
      privateIp: this.nextAddress(subnet.id, subnet.addressPrefix),
      provisioningState: 'Updating',
      virtualMachineId: null,
      resourceGuid: randomUUID(),
    };
    nic.tags = { ...(asObject(body.tags) as Record<string, string>) };
    nic.provisioningState = 'Updating';
    this.world.nics.set(key(id), nic);
    const op = this.world.operations.start('Microsoft.Network', location);
    this.world.after(this.world.quickMs, () => {
      nic.provisioningState = 'Succeeded';
      this.world.operations.succeed(op);
    });
    return { status: existing ? 200 : 201, body: renderNic(nic), headers: { 'azure-asyncoperation': this.opHeaders(op, req)['azure-asyncoperation']! } };
  }

  deleteNic(req: ArmRequest): ArmAnswer {
    const nic = this.world.nics.get(key(this.world.resourceId(req.resourceGroup!, NIC_TYPE, req.name!)));
    if (!nic) return { status: 204 };
    if (nic.virtualMachineId && this.world.vms.has(key(nic.virtualMachineId))) {
      throw new ArmError(400, 'NicInUse', `Network Interface ${nic.id} is used by existing resource ${nic.virtualMachineId}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.`);
    }
    const op = this.world.operations.start('Microsoft.Network', nic.location);
    this.world.after(this.world.quickMs, () => {
      this.world.nics.delete(key(nic.id));
      this.world.operations.succeed(op);
    });
    return { status: 202, headers: this.opHeaders(op, req) };
  }

  private nic(req: ArmRequest): NicRecord {
    const nic = this.world.nics.get(key(this.world.resourceId(req.resourceGroup!, NIC_TYPE, req.name!)));
    if (!nic) throw notFound(NIC_TYPE, req.name!, req.resourceGroup!);
    return nic;
  }

  /** The next free address of the subnet: Azure keeps .0–.3 and the broadcast address. */
  private nextAddress(subnetId: string, prefix: string): string {
    const [base, bitsText] = prefix.split('/') as [string, string];
    const start = base.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
    const size = 2 ** (32 - Number(bitsText));
    const used = new Set([...this.world.nics.values()].filter((n) => key(n.subnetId) === key(subnetId)).map((n) => n.privateIp));
    for (let i = 4; i < size - 1; i++) {
      const n = start + i;
      const address = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
      if (!used.has(address)) return address;
    }
    throw new ArmError(400, 'SubnetIsFull', `Subnet ${subnetId} with address prefix ${prefix} does not have enough capacity for 1 IP addresses.`);
  }

  private opHeaders(op: AsyncOperation, req: ArmRequest): Record<string, string> {
    return this.world.operations.headers(op, this.world.baseUrl, this.world.subscriptionId, req.apiVersion);
  }
}

function renderNic(nic: NicRecord): Record<string, unknown> {
  const etag = `W/"${nic.resourceGuid}"`;
  return {
    name: nic.name,
    id: nic.id,
    etag,
    type: NIC_TYPE,
    location: nic.location,
    tags: nic.tags,
    properties: {
      provisioningState: nic.provisioningState,
      resourceGuid: nic.resourceGuid,
      ipConfigurations: [
        {
          name: nic.ipConfigurationName,
          id: `${nic.id}/ipConfigurations/${nic.ipConfigurationName}`,
          etag,
          type: `${NIC_TYPE}/ipConfigurations`,
          properties: {
            provisioningState: nic.provisioningState,
            privateIPAddress: nic.privateIp,
            privateIPAllocationMethod: 'Dynamic',
            subnet: { id: nic.subnetId },
            primary: true,
            privateIPAddressVersion: 'IPv4',
          },
        },
      ],
      ...(nic.virtualMachineId ? { virtualMachine: { id: nic.virtualMachineId } } : {}),
      enableAcceleratedNetworking: false,
      enableIPForwarding: false,
      nicType: 'Standard',
    },
  };
}
