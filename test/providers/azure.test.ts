import { tmpdir } from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { createAzureDriver } from '../../src/providers/azure/driver.js';
import { TESSERA_AZURE_ROLE } from '../../src/providers/azure/role.js';
import { isThrottle, type CreateRequest, type Driver, type DriverContext, type ErrorClass, type ObservedInstance } from '../../src/providers/driver.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  CREDENTIALS,
  driverConfig,
  LIST_PRICES,
  RESOURCE_GROUP,
  startArmDouble,
  SUBNET_EASTUS,
  SUBSCRIPTION_ID,
  TENANT_ID,
} from '../doubles/azure-arm/fixtures.js';
import type { AzureArmDouble } from '../doubles/azure-arm/server.js';
import type { AzureConfigInput } from '../../src/providers/azure/config.js';
import { expectClass } from '../support/provider-errors.js';

/**
 * The azure driver against the ARM double, over the wire: sign-in at the double's Entra ID endpoint, the
 * long-running operation pattern, paging, throttling, every error code the driver maps, and what the requests
 * carry. Each case uses its own create token, so cases do not see each other's VMs.
 */

let arm: AzureArmDouble;
let driver: Driver;
const ctx: DriverContext = { dataDir: tmpdir(), credentials: CREDENTIALS, listPrices: async () => LIST_PRICES };
let seq = 0;

function request(overrides: Partial<CreateRequest> = {}): { req: CreateRequest; token: string } {
  seq++;
  const req: CreateRequest = {
    tesseraId: `i-azuretest${String(seq).padStart(4, '0')}`,
    name: `web-${seq}`,
    region: 'eastus',
    zone: null,
    flavor: 'Standard_B2s',
    image: 'ubuntu-24.04',
    market: 'on-demand',
    userData: null,
    labels: { app: 'web', 'team.example.com/owner': 'infra' },
    powerOn: true,
    ...overrides,
  };
  return { req, token: `tsr-${req.tesseraId}-0` };
}

function open(extra: Partial<AzureConfigInput> = {}, context: DriverContext = ctx): Promise<Driver> {
  return createAzureDriver(`azure-test-${seq}`, driverConfig(arm, extra), context);
}


/** The VM PUT bodies the double received for a VM name. */
function vmPuts(name: string): Record<string, unknown>[] {
  return arm.calls.filter((c) => c.method === 'PUT' && c.path.includes(`/virtualMachines/${name}?`)).map((c) => c.body as Record<string, unknown>);
}

function ownedBy(name: string) {
  const lower = name.toLowerCase();
  return {
    vms: arm.vms().filter((v) => v.name.toLowerCase() === lower),
    nics: arm.nics().filter((n) => n.name.toLowerCase().startsWith(lower)),
    disks: arm.disks().filter((d) => d.name.toLowerCase().startsWith(lower)),
  };
}

beforeAll(async () => {
  arm = await startArmDouble({ pageSize: 5, vcpuQuota: { westus2: 1 } });
  driver = await open();
});
afterAll(async () => {
  await driver?.close?.();
  await arm?.close();
});
beforeEach(() => arm.faults.reset());

describe('azure driver: sign-in and requests at the wire', () => {
  it('signs in with the client secret at the Entra ID token endpoint and calls ARM with that token', async () => {
    const before = arm.callCount('token');
    const fresh = await open();
    expect(await fresh.observe({ region: 'eastus', token: 'tsr-nothing-here-0' })).toBeNull();
    expect(arm.callCount('token')).toBe(before + 1);
    expect(arm.callCount('openid-configuration')).toBeGreaterThanOrEqual(1);
    const last = arm.calls.at(-1)!;
    expect(last).toMatchObject({ method: 'GET', action: 'Microsoft.Compute/virtualMachines/read', clientId: CLIENT_ID, status: 404 });
  });

  it('a wrong client secret is Invalid, says what to check, and never shows the secret', async () => {
    const wrong = await open({}, { ...ctx, credentials: { ...CREDENTIALS, clientSecret: 'not-the-secret' } });
    const e = await expectClass(wrong.observe({ region: 'eastus', token: 'tsr-x-0' }), 'Invalid', 'invalid_client');
    expect(e.message).toMatch(/AADSTS7000215/);
    expect(e.message).toMatch(/clientSecret/);
    expect(e.message).not.toContain('not-the-secret');
  });

  it('Entra ID out of reach is Retryable', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const lost = await open({ authorityHost: `https://127.0.0.1:${port}`, maxRetries: 0 });
    await expectClass(lost.observe({ region: 'eastus', token: 'tsr-x-0' }), 'Retryable', 'AuthenticationUnavailable');
  });

  it('a token for another audience (a wrong tokenScope) is refused by ARM: Invalid', async () => {
    const scoped = await open({ tokenScope: 'https://graph.microsoft.com/.default' });
    await expectClass(scoped.observe({ region: 'eastus', token: 'tsr-x-0' }), 'Invalid', 'InvalidAuthenticationTokenAudience');
  });

  it('create sends tags with Tessera id, token and labels (":" for "/"), customData as base64, and reports them back', async () => {
    const { req, token } = request({ userData: '#cloud-config\nruncmd: [echo hi]\n' });
    const made = await driver.create(req, token);
    const [body] = vmPuts(token);
    const props = body!.properties as { osProfile: { customData: string; linuxConfiguration: { disablePasswordAuthentication: boolean } }; storageProfile: { osDisk: unknown }; priority?: string };
    expect(body!.tags).toEqual({ app: 'web', 'team.example.com:owner': 'infra', 'tessera.io:id': req.tesseraId, 'tessera.io:token': token, 'tessera.io:image': 'ubuntu-24.04' });
    expect(Buffer.from(props.osProfile.customData, 'base64').toString('utf8')).toBe(req.userData);
    expect(props.osProfile.linuxConfiguration.disablePasswordAuthentication).toBe(true);
    expect(props.storageProfile.osDisk).toMatchObject({ name: `${token}-osdisk`, createOption: 'FromImage', deleteOption: 'Delete' });
    expect(props.priority).toBeUndefined();
    expect(made).toMatchObject({
      tesseraId: req.tesseraId,
      token,
      name: token,
      region: 'eastus',
      zone: null,
      flavor: 'Standard_B2s',
      image: 'ubuntu-24.04',
      market: 'on-demand',
      kind: 'vm',
      state: 'running',
      labels: { app: 'web', 'team.example.com/owner': 'infra', 'tessera.io/id': req.tesseraId, 'tessera.io/token': token },
    });
    expect(made.externalId).toBe(`/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachines/${token}`);
    expect(made.addresses).toEqual([{ type: 'private', address: expect.stringMatching(/^10\.1\.0\.\d+$/) }]);
    await driver.delete({ region: 'eastus', externalId: made.externalId });
  });

  it('spot: priority Spot, the configured eviction policy and billingProfile.maxPrice -1, reported as market spot', async () => {
    const { req, token } = request({ market: 'spot', zone: 'eastus-1' });
    const made = await driver.create(req, token);
    const props = vmPuts(token)[0]!.properties as Record<string, unknown>;
    expect(props).toMatchObject({ priority: 'Spot', evictionPolicy: 'Deallocate', billingProfile: { maxPrice: -1 } });
    expect(vmPuts(token)[0]!.zones).toEqual(['1']);
    expect(made).toMatchObject({ market: 'spot', zone: 'eastus-1' });
    await driver.delete({ region: 'eastus', externalId: made.externalId });
  });

  it('every ARM action the driver used is in its documented role', () => {
    const used = arm.actionsUsed();
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((a) => !TESSERA_AZURE_ROLE.Actions.includes(a))).toEqual([]);
  });
});

describe('azure driver: idempotent create and long-running operations', () => {
  it('a PUT whose answer is lost is re-sent by the SDK: one VM, one NIC, and the driver returns it', async () => {
    const { req, token } = request();
    arm.faults.dropNextCreateResponse();
    const made = await driver.create(req, token);
    expect(vmPuts(token)).toHaveLength(2);
    const owned = ownedBy(token);
    expect(owned.vms).toHaveLength(1);
    expect(owned.nics).toHaveLength(1);
    expect(made).toMatchObject({ externalId: owned.vms[0]!.id, token, state: 'running' });
    // A second create with the token finds the VM before sending anything.
    const again = await driver.create(req, token);
    expect(again.externalId).toBe(made.externalId);
    expect(vmPuts(token)).toHaveLength(2);
    await driver.delete({ region: 'eastus', externalId: made.externalId });
  });

  it('create polls the Azure-AsyncOperation status to Succeeded before returning', async () => {
    const { req, token } = request();
    const polls = arm.callCount('Microsoft.Compute/locations/operations/read');
    const made = await driver.create(req, token);
    expect(arm.callCount('Microsoft.Compute/locations/operations/read')).toBeGreaterThan(polls);
    expect(made.state).toBe('running');
    expect(arm.vms().find((v) => v.name === token)?.provisioningState).toBe('Succeeded');
    await driver.delete({ region: 'eastus', externalId: made.externalId });
  });

  it('an operation that ends Failed is classified by its code, and what the create made is removed', async () => {
    const { req, token } = request();
    arm.faults.failNextCreate({ via: 'operation', code: 'OverconstrainedAllocationRequest', message: 'Allocation failed. VM(s) with the following constraints cannot be allocated, because the condition is too restrictive.' });
    const e = await expectClass(driver.create(req, token), 'Capacity', 'OverconstrainedAllocationRequest');
    expect(e.message).toMatch(/cannot be allocated/);
    await waitFor(() => Object.values(ownedBy(token)).every((list) => list.length === 0));
  });

  it('a VM whose provisioning failed is reported gone, and a create with its token sends the PUT again', async () => {
    const { req, token } = request();
    const made = await driver.create(req, token);
    // As Azure leaves a VM whose allocation failed and whose clean-up did not happen: Failed, never ran.
    const vm = arm.vms().find((v) => v.name === token)!;
    vm.provisioningState = 'Failed';
    vm.powerState = null;
    expect((await driver.observe({ region: 'eastus', token }))?.state).toBe('terminated');
    const again = await driver.create(req, token);
    expect(again).toMatchObject({ externalId: made.externalId, state: 'running' });
    expect(vmPuts(token)).toHaveLength(2);
    expect(ownedBy(token).vms).toHaveLength(1);
    await driver.delete({ region: 'eastus', externalId: made.externalId });
  });

  it('powerOn false: the VM is created, then deallocated', async () => {
    const { req, token } = request({ powerOn: false });
    const made = await driver.create(req, token);
    expect(made.state).toBe('stopped');
    expect(arm.vms().find((v) => v.name === token)?.powerState).toBe('deallocated');
    await driver.delete({ region: 'eastus', externalId: made.externalId });
  });
});

describe('azure driver: errors, synchronous and from the operation', () => {
  const cases: { name: string; provoke: () => { overrides?: Partial<CreateRequest>; extra?: Partial<AzureConfigInput> }; cls: ErrorClass; code: string }[] = [
    { name: 'SkuNotAvailable (409 on the PUT, a size restricted for the subscription)', provoke: () => ({ overrides: { flavor: 'Standard_HB120rs_v3' } }), cls: 'Capacity', code: 'SkuNotAvailable' },
    {
      name: 'SkuNotAvailable (the capacity fault answered at once)',
      provoke: () => {
        arm.faults.capacityAnswer = 'SkuNotAvailable';
        arm.faults.capacityIn('eastus');
        return {};
      },
      cls: 'Capacity',
      code: 'SkuNotAvailable',
    },
    {
      name: 'AllocationFailed (from the operation)',
      provoke: () => {
        arm.faults.capacityIn('eastus');
        return {};
      },
      cls: 'Capacity',
      code: 'AllocationFailed',
    },
    {
      name: 'ZonalAllocationFailed (from the operation)',
      provoke: () => {
        arm.faults.capacityIn('eastus-1');
        return { overrides: { zone: 'eastus-1' } };
      },
      cls: 'Capacity',
      code: 'ZonalAllocationFailed',
    },
    { name: 'AllocationFailed (on the PUT)', provoke: () => inject('sync', 'AllocationFailed', 409), cls: 'Capacity', code: 'AllocationFailed' },
    { name: 'OverconstrainedAllocationRequest (on the PUT)', provoke: () => inject('sync', 'OverconstrainedAllocationRequest', 409), cls: 'Capacity', code: 'OverconstrainedAllocationRequest' },
    {
      name: 'OperationNotAllowed about quota (the quota fault)',
      provoke: () => {
        arm.faults.quotaExceeded(true);
        return {};
      },
      cls: 'Quota',
      code: 'OperationNotAllowed',
    },
    { name: 'OperationNotAllowed about quota (a regional vCPU quota)', provoke: () => ({ overrides: { region: 'westus2', flavor: 'Standard_D2s_v5' } }), cls: 'Quota', code: 'OperationNotAllowed' },
    { name: 'QuotaExceeded (from the operation)', provoke: () => inject('operation', 'QuotaExceeded'), cls: 'Quota', code: 'QuotaExceeded' },
    { name: 'OperationNotAllowed not about quota', provoke: () => inject('sync', 'OperationNotAllowed', 409, 'The operation is not allowed on a VM in this state.'), cls: 'Invalid', code: 'OperationNotAllowed' },
    { name: 'InvalidParameter (a zone the location does not have)', provoke: () => ({ overrides: { zone: 'eastus-4' } }), cls: 'Invalid', code: 'InvalidParameter' },
    { name: 'InvalidTemplate (on the PUT)', provoke: () => inject('sync', 'InvalidTemplate', 400), cls: 'Invalid', code: 'InvalidTemplate' },
    { name: 'ImageNotFound (a custom image that is gone)', provoke: () => ({ overrides: { image: 'vanished' } }), cls: 'Invalid', code: 'ImageNotFound' },
    {
      name: 'InvalidResourceReference (the NIC names a subnet that does not exist)',
      provoke: () => ({ extra: { subnetIds: { eastus: SUBNET_EASTUS.replace('/default', '/missing'), westus2: SUBNET_EASTUS } } }),
      cls: 'Invalid',
      code: 'InvalidResourceReference',
    },
    { name: 'an internal error from the operation is retried later', provoke: () => inject('operation', 'InternalExecutionError'), cls: 'Retryable', code: 'InternalExecutionError' },
  ];

  function inject(via: 'sync' | 'operation', code: string, status?: number, message = `injected ${code}`) {
    arm.faults.failNextCreate({ via, code, message, ...(status ? { status } : {}) });
    return {};
  }

  for (const c of cases) {
    it(`${c.name} → ${c.cls}`, async () => {
      const { overrides, extra } = c.provoke();
      const { req, token } = request(overrides);
      const d = extra ? await open(extra) : driver;
      await expectClass(d.create(req, token), c.cls, c.code);
      // Nothing of a failed create is left behind (a NIC made before the VM PUT failed, a Failed VM).
      await waitFor(() => Object.values(ownedBy(token)).every((list) => list.length === 0));
    });
  }

  it('AuthorizationFailed is Invalid and names the missing action and scope', async () => {
    const readOnly = await startArmDouble({ principals: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, actions: ['Microsoft.Compute/*/read', 'Microsoft.Network/*/read'] }] });
    try {
      const d = await createAzureDriver('azure-readonly', driverConfig(readOnly), ctx);
      const { req, token } = request();
      const e = await expectClass(d.create(req, token), 'Invalid', 'AuthorizationFailed');
      expect(e.message).toContain("'Microsoft.Network/networkInterfaces/write'");
      expect(e.message).toContain(`/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Network/networkInterfaces/${token}-nic`);
      expect(e.message).toMatch(/assign it a role/);
    } finally {
      await readOnly.close();
    }
  });

  it('LinkedAuthorizationFailed (may write the NIC, may not join the subnet) is Invalid and names the subnet action', async () => {
    const noJoin = await startArmDouble({
      principals: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, actions: TESSERA_AZURE_ROLE.Actions.filter((a) => a !== 'Microsoft.Network/virtualNetworks/subnets/join/action') }],
    });
    try {
      const d = await createAzureDriver('azure-nojoin', driverConfig(noJoin), ctx);
      const { req, token } = request();
      const e = await expectClass(d.create(req, token), 'Invalid', 'LinkedAuthorizationFailed');
      expect(e.message).toContain("'Microsoft.Network/virtualNetworks/subnets/join/action'");
      expect(e.message).toContain(SUBNET_EASTUS);
    } finally {
      await noJoin.close();
    }
  });

  it('a VM that is not there: observe is null, power is NotFound, delete is not an error', async () => {
    const externalId = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachines/never-made`;
    expect(await driver.observe({ region: 'eastus', externalId })).toBeNull();
    await expectClass(driver.power({ region: 'eastus', externalId }, 'on'), 'NotFound', 'ResourceNotFound');
    await driver.delete({ region: 'eastus', externalId });
  });

  it('5xx answers are retried by the SDK; past its retries they are Retryable', async () => {
    arm.faults.serverErrorNext(1);
    expect(await driver.observe({ region: 'eastus', token: 'tsr-absent-0' })).toBeNull();
    const impatient = await open({ maxRetries: 0 });
    await impatient.observe({ region: 'eastus', token: 'tsr-warm-up-0' }); // signs in first
    arm.faults.serverErrorNext(1);
    await expectClass(impatient.observe({ region: 'eastus', token: 'tsr-absent-0' }), 'Retryable', 'InternalServerError');
  });

  it('a start that cannot be allocated (deallocated VM, no capacity) is Capacity from the start operation', async () => {
    const { req, token } = request({ powerOn: false });
    const made = await driver.create(req, token);
    arm.faults.capacityIn('eastus');
    await expectClass(driver.power({ region: 'eastus', externalId: made.externalId }, 'on'), 'Capacity', 'AllocationFailed');
    arm.faults.capacityIn(null);
    await driver.power({ region: 'eastus', externalId: made.externalId }, 'on');
    expect((await driver.observe({ region: 'eastus', externalId: made.externalId }))?.state).toBe('running');
    await driver.delete({ region: 'eastus', externalId: made.externalId });
  });
});

describe('azure driver: throttling', () => {
  it('429 with Retry-After is waited out and retried by the SDK', async () => {
    const throttledBefore = arm.calls.filter((c) => c.status === 429).length;
    arm.faults.throttleNext(1);
    const started = Date.now();
    expect(await driver.observe({ region: 'eastus', token: 'tsr-throttled-0' })).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(arm.calls.filter((c) => c.status === 429).length).toBe(throttledBefore + 1);
  });

  it('past the retries, throttling is Retryable with retryAfterSeconds and counts as throttling', async () => {
    const impatient = await open({ maxRetries: 0 });
    await impatient.observe({ region: 'eastus', token: 'tsr-warm-up-0' });
    arm.faults.retryAfterSeconds = 7;
    arm.faults.throttleNext(1);
    const e = await expectClass(impatient.observe({ region: 'eastus', token: 'tsr-throttled-0' }), 'Retryable', 'TooManyRequests');
    expect(e.retryAfterSeconds).toBe(7);
    expect(isThrottle(e)).toBe(true);
  });
});

describe('azure driver: list, power, delete', () => {
  it('list follows nextLink over every page and reports VMs made outside Tessera too', async () => {
    const seeded = Array.from({ length: 12 }, (_, i) =>
      arm.seedVm({ name: `portal-vm-${String(i).padStart(2, '0')}`, resourceGroup: RESOURCE_GROUP, location: 'eastus', vmSize: 'Standard_B2s', subnetId: SUBNET_EASTUS, powerState: i % 3 === 0 ? 'deallocated' : 'running' }),
    );
    arm.seedVm({ name: 'elsewhere-vm', resourceGroup: 'other-rg', location: 'eastus', vmSize: 'Standard_B2s', subnetId: SUBNET_EASTUS });
    const listCallsBefore = arm.calls.filter((c) => c.path.includes('/virtualMachines?')).length;
    const pages: ObservedInstance[][] = [];
    for await (const page of driver.list({ pageSize: 4 })) pages.push(page);
    const all = pages.flat();
    expect(pages.every((p) => p.length <= 4)).toBe(true);
    const portal = all.filter((o) => o.name.startsWith('portal-vm-'));
    expect(portal).toHaveLength(12);
    expect(new Set(all.map((o) => o.externalId)).size).toBe(all.length);
    expect(all.some((o) => o.name === 'elsewhere-vm')).toBe(false);
    const listCalls = arm.calls.filter((c) => c.path.includes('/virtualMachines?')).slice(listCallsBefore);
    // 12 or more VMs at 5 a page: at least three pages, the later ones by the double's own $skiptoken.
    expect(listCalls.length).toBeGreaterThanOrEqual(3);
    expect(listCalls.slice(1).every((c) => c.path.includes('%24skiptoken=') || c.path.includes('$skiptoken='))).toBe(true);
    const first = portal.find((o) => o.name === 'portal-vm-00')!;
    expect(first).toMatchObject({ tesseraId: null, token: null, flavor: 'Standard_B2s', image: 'ubuntu-24.04', state: 'stopped', market: 'on-demand' });
    expect(first.addresses).toHaveLength(1);
    expect(portal.find((o) => o.name === 'portal-vm-01')?.state).toBe('running');

    const everywhere = await open({ listScope: 'subscription' });
    const names: string[] = [];
    for await (const page of everywhere.list()) names.push(...page.map((o) => o.name));
    expect(names).toContain('elsewhere-vm');
    for (const vm of seeded) await driver.delete({ region: 'eastus', externalId: vm.id });
  });

  it('off deallocates by default (compute billing stops); stopMode powerOff keeps the hardware', async () => {
    const { req, token } = request();
    const made = await driver.create(req, token);
    const ref = { region: 'eastus', externalId: made.externalId };
    await driver.power(ref, 'off');
    expect(arm.vms().find((v) => v.name === token)?.powerState).toBe('deallocated');
    await driver.power(ref, 'on');
    const stopper = await open({ stopMode: 'powerOff' });
    await stopper.power(ref, 'off');
    expect(arm.vms().find((v) => v.name === token)?.powerState).toBe('stopped');
    expect((await driver.observe(ref))?.state).toBe('stopped');
    await driver.delete(ref);
  });

  it('delete removes the VM, its NIC and its OS disk', async () => {
    const { req, token } = request();
    const made = await driver.create(req, token);
    expect(ownedBy(token)).toMatchObject({ vms: [expect.anything()], nics: [expect.anything()], disks: [expect.anything()] });
    await driver.delete({ region: 'eastus', token });
    expect(ownedBy(token)).toEqual({ vms: [], nics: [], disks: [] });
    expect(await driver.observe({ region: 'eastus', externalId: made.externalId })).toBeNull();
  });

  it('a create that failed on the way leaves its NIC for the retry; delete by token removes it', async () => {
    const impatient = await open({ maxRetries: 0 });
    const { req, token } = request();
    arm.faults.failNextCreate({ via: 'sync', code: 'InternalServerError', status: 500, message: 'Encountered internal server error.' });
    await expectClass(impatient.create(req, token), 'Retryable', 'InternalServerError');
    expect(ownedBy(token)).toMatchObject({ vms: [], nics: [expect.anything()] });
    await impatient.delete({ region: 'eastus', token });
    expect(ownedBy(token)).toEqual({ vms: [], nics: [], disks: [] });
  });

  it('delete also removes the NIC and OS disk of a VM made without deleteOption (which Azure would keep)', async () => {
    const vm = arm.seedVm({ name: 'legacy-vm', resourceGroup: RESOURCE_GROUP, location: 'eastus', vmSize: 'Standard_B2s', subnetId: SUBNET_EASTUS });
    await driver.delete({ region: 'eastus', externalId: vm.id });
    expect(ownedBy('legacy-vm')).toEqual({ vms: [], nics: [], disks: [] });
    expect(arm.callCount('Microsoft.Network/networkInterfaces/delete')).toBeGreaterThan(0);
    expect(arm.callCount('Microsoft.Compute/disks/delete')).toBeGreaterThan(0);
  });
});

describe('azure driver: offers, regions, images', () => {
  it('offers: each usable size × market × zone with a catalog price; restricted and unpriced sizes left out', async () => {
    const offers = await driver.offers();
    const keys = offers.map((o) => `${o.region}/${o.zone ?? '-'}/${o.flavor}/${o.market}`).sort();
    expect(keys).toEqual(
      [
        'eastus/eastus-1/Standard_B2s/on-demand',
        'eastus/eastus-2/Standard_B2s/on-demand',
        'eastus/eastus-3/Standard_B2s/on-demand',
        'eastus/eastus-1/Standard_B2s/spot',
        'eastus/eastus-2/Standard_B2s/spot',
        'eastus/eastus-3/Standard_B2s/spot',
        // zone 3 is restricted for this subscription
        'eastus/eastus-1/Standard_D2s_v5/on-demand',
        'eastus/eastus-2/Standard_D2s_v5/on-demand',
        // no zones in westus2 for this size: one regional offer
        'westus2/-/Standard_D2s_v5/on-demand',
        // not Spot-capable: no spot offer although the catalog has a price
        'eastus/-/Standard_NC6s_v3/on-demand',
      ].sort(),
    );
    expect(offers.find((o) => o.flavor === 'Standard_NC6s_v3')).toMatchObject({ vcpus: 6, memoryGiB: 112, gpus: 1, arch: 'x86_64', kind: 'vm', priceMicrosPerHour: 3_060_000, available: null });
    const skuCalls = arm.callCount('Microsoft.Compute/skus/read');
    await driver.regions();
    expect(arm.callCount('Microsoft.Compute/skus/read')).toBe(skuCalls); // cached
  });

  it('regions are the configured locations with the zones their sizes have', async () => {
    expect(await driver.regions()).toEqual([
      { provider: driver.name, name: 'eastus', zones: ['eastus-1', 'eastus-2', 'eastus-3'], location: null },
      { provider: driver.name, name: 'westus2', zones: ['westus2-1', 'westus2-2', 'westus2-3'], location: null },
    ]);
  });

  it('images are the configured names', async () => {
    expect((await driver.images()).map((i) => `${i.name}/${i.arch}`)).toEqual(['debian-12/x86_64', 'golden/x86_64', 'ubuntu-24.04/x86_64', 'vanished/x86_64']);
  });

  it('a custom image is sent by id', async () => {
    const { req, token } = request({ image: 'golden' });
    const made = await driver.create(req, token);
    expect((vmPuts(token)[0]!.properties as { storageProfile: { imageReference: unknown } }).storageProfile.imageReference).toEqual({ id: expect.stringContaining('/images/golden-2024') });
    expect(made.image).toBe('golden');
    await driver.delete({ region: 'eastus', externalId: made.externalId });
  });
});

describe('azure driver: requests and configuration it refuses', () => {
  it('requests outside the configuration are Invalid before anything is sent', async () => {
    const sent = arm.calls.length;
    await expectClass(driver.create(request({ region: 'northeurope' }).req, 'tsr-a-0'), 'Invalid');
    await expectClass(driver.create(request({ zone: 'westus2-1' }).req, 'tsr-b-0'), 'Invalid');
    await expectClass(driver.create(request({ image: 'windows-2022' }).req, 'tsr-c-0'), 'Invalid');
    await expectClass(driver.create(request({ userData: 'x'.repeat(70_000) }).req, 'tsr-d-0'), 'Invalid');
    await expectClass(driver.observe({ region: 'eastus', externalId: '/subscriptions/other/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/x' }), 'Invalid');
    expect(arm.calls.length).toBe(sent);
  });

  const base = (): Record<string, unknown> => ({ ...driverConfig(arm) });
  const bad: { name: string; config: () => Record<string, unknown>; context?: DriverContext; says: RegExp[] }[] = [
    { name: 'no subscriptionId', config: () => ({ ...base(), subscriptionId: undefined }), says: [/subscriptionId/] },
    { name: 'a subscription that is not a GUID', config: () => ({ ...base(), subscriptionId: 'my-sub' }), says: [/subscriptionId: must be the subscription id, a GUID/] },
    { name: 'a typo in a key', config: () => ({ ...base(), location: ['eastus'] }), says: [/unknown key "location"/, /locations/] },
    { name: 'no locations', config: () => ({ ...base(), locations: [] }), says: [/locations: list at least one location/] },
    { name: 'a location without a subnet', config: () => ({ ...base(), subnetIds: { eastus: SUBNET_EASTUS } }), says: [/every location needs a subnet/] },
    { name: 'a subnet that is not a subnet id', config: () => ({ ...base(), subnetIds: undefined, subnetId: 'default' }), says: [/subnetId: must be a subnet resource id/] },
    { name: 'an http endpoint', config: () => ({ ...base(), endpoint: 'http://127.0.0.1:1' }), says: [/endpoint: must be an https:\/\/ URL/] },
    { name: 'no SSH key', config: () => ({ ...base(), sshPublicKeys: [] }), says: [/sshPublicKeys: give at least one SSH public key/] },
    { name: 'an image that is neither kind', config: () => ({ ...base(), images: { web: { publisher: 'Canonical' } } }), says: [/images\.web/, /publisher, offer, sku/] },
    { name: 'a bad stopMode', config: () => ({ ...base(), stopMode: 'hibernate' }), says: [/stopMode/] },
    { name: 'no stored credentials', config: base, context: { ...ctx, credentials: null }, says: [/no stored credentials/, /tessera provider credentials/] },
    { name: 'stored credentials without a tenant', config: base, context: { ...ctx, credentials: { clientId: CLIENT_ID, clientSecret: 'x' } }, says: [/tenantId/] },
    { name: 'a caCertificate file that is not there', config: () => ({ ...base(), caCertificate: '/no/such/ca.pem' }), says: [/caCertificate '\/no\/such\/ca.pem' could not be read/] },
  ];
  for (const b of bad) {
    it(`bad config: ${b.name}`, async () => {
      const e = await createAzureDriver('azure-bad', b.config(), b.context ?? ctx).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(InvalidInputError);
      for (const pattern of b.says) expect((e as Error).message).toMatch(pattern);
      expect((e as Error).message).toContain("azure provider 'azure-bad'");
    });
  }

  it('managed identity and DefaultAzureCredential need no stored credentials', async () => {
    await expect(createAzureDriver('azure-mi', { ...base(), credential: 'managed-identity', managedIdentityClientId: TENANT_ID }, { ...ctx, credentials: null })).resolves.toBeDefined();
    await expect(createAzureDriver('azure-default', { ...base(), credential: 'default' }, { ...ctx, credentials: null })).resolves.toBeDefined();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
