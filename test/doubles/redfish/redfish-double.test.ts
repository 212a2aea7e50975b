import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedfishDouble } from './server.js';

/** The first of a DMTF error body's extended messages. */
function firstInfo(json: unknown): Record<string, unknown> {
  return (json as { error: { '@Message.ExtendedInfo': Record<string, unknown>[] } }).error['@Message.ExtendedInfo'][0]!;
}

/** The Redfish double's own contract, spoken to over plain HTTPS (no Tessera code): DMTF shapes and errors. */
describe('Redfish double', () => {
  let bmc: RedfishDouble;
  let agent: Agent;
  const basic = `Basic ${Buffer.from('admin:secret').toString('base64')}`;

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: basic }) {
    const res = await request(new URL(path, bmc.url), {
      method: method as 'GET',
      dispatcher: agent,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 2000,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  }

  beforeAll(async () => {
    bmc = await RedfishDouble.start({ systems: [{ id: '1', cpus: 16, memoryGiB: 64 }, { id: '2', transitionMs: 300 }] });
    agent = new Agent({ connect: { ca: bmc.caPem } });
  });
  afterAll(async () => {
    await agent?.close();
    await bmc?.close();
  });

  it('serves the ServiceRoot without credentials, and the Systems collection and each ComputerSystem with them', async () => {
    const root = await call('GET', '/redfish/v1/', undefined, {});
    expect(root.status).toBe(200);
    expect(root.json).toMatchObject({ '@odata.type': expect.stringMatching(/^#ServiceRoot\./), Systems: { '@odata.id': '/redfish/v1/Systems' } });
    const systems = await call('GET', '/redfish/v1/Systems');
    expect(systems.json).toMatchObject({ 'Members@odata.count': 2, Members: [{ '@odata.id': '/redfish/v1/Systems/1' }, { '@odata.id': '/redfish/v1/Systems/2' }] });
    const one = await call('GET', '/redfish/v1/Systems/1');
    expect(one.headers.etag).toBe(one.json!['@odata.etag']);
    expect(one.json).toMatchObject({
      '@odata.type': expect.stringMatching(/^#ComputerSystem\.v1_\d+_\d+\.ComputerSystem$/),
      PowerState: 'Off',
      ProcessorSummary: { Count: 16 },
      MemorySummary: { TotalSystemMemoryGiB: 64 },
      Boot: { BootSourceOverrideTarget: 'None', BootSourceOverrideEnabled: 'Disabled', 'BootSourceOverrideTarget@Redfish.AllowableValues': expect.arrayContaining(['Pxe', 'Hdd']) },
      Actions: { '#ComputerSystem.Reset': { target: '/redfish/v1/Systems/1/Actions/ComputerSystem.Reset', 'ResetType@Redfish.AllowableValues': expect.arrayContaining(['On', 'ForceOff', 'ForceRestart']) } },
    });
  });

  it('refuses bad credentials and unknown URIs with DMTF error bodies', async () => {
    const denied = await call('GET', '/redfish/v1/Systems', undefined, { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` });
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toMatch(/^Basic/);
    expect(denied.json).toMatchObject({ error: { code: 'Base.1.8.GeneralError', '@Message.ExtendedInfo': [{ MessageId: 'Base.1.8.NoValidSession', Resolution: expect.any(String) }] } });
    const missing = await call('GET', '/redfish/v1/Systems/9');
    expect(missing.status).toBe(404);
    expect(firstInfo(missing.json)).toMatchObject({ MessageId: 'Base.1.8.ResourceMissingAtURI', MessageArgs: ['/redfish/v1/Systems/9'] });
  });

  it('Reset checks ResetType against its allowable values and moves PowerState through PoweringOn to On', async () => {
    const target = '/redfish/v1/Systems/2/Actions/ComputerSystem.Reset';
    const missing = await call('POST', target, {});
    expect(firstInfo(missing.json).MessageId).toBe('Base.1.8.ActionParameterMissing');
    const bad = await call('POST', target, { ResetType: 'Explode' });
    expect(bad.status).toBe(400);
    expect(firstInfo(bad.json)).toMatchObject({ MessageId: 'Base.1.8.ActionParameterValueNotInList', MessageArgs: ['Explode', 'ResetType', 'ComputerSystem.Reset'] });
    expect((await call('POST', target, { ResetType: 'On' })).status).toBe(204);
    expect((await call('GET', '/redfish/v1/Systems/2')).json!.PowerState).toBe('PoweringOn');
    await new Promise((r) => setTimeout(r, 450));
    expect((await call('GET', '/redfish/v1/Systems/2')).json!.PowerState).toBe('On');
    await call('POST', target, { ResetType: 'ForceOff' });
    expect(bmc.system('2').powerState).toBe('Off');
  });

  it('PATCH sets a one-time boot override that the next boot uses up; unknown properties and stale ETags are refused', async () => {
    const uri = '/redfish/v1/Systems/1';
    const etag = (await call('GET', uri)).json!['@odata.etag'] as string;
    const unknown = await call('PATCH', uri, { AssetTag: 'x' });
    expect(firstInfo(unknown.json)).toMatchObject({ MessageId: 'Base.1.8.PropertyUnknown', MessageArgs: ['AssetTag'] });
    const badValue = await call('PATCH', uri, { Boot: { BootSourceOverrideTarget: 'Floppy' } });
    expect(firstInfo(badValue.json).MessageId).toBe('Base.1.8.PropertyValueNotInList');
    const set = await call('PATCH', uri, { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } }, { authorization: basic, 'if-match': etag });
    expect(set.status).toBe(200);
    expect(set.json!.Boot).toMatchObject({ BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' });
    const stale = await call('PATCH', uri, { Boot: { BootSourceOverrideTarget: 'Hdd' } }, { authorization: basic, 'if-match': etag });
    expect(stale.status).toBe(412);
    await call('POST', `${uri}/Actions/ComputerSystem.Reset`, { ResetType: 'On' });
    expect(bmc.system('1').bootOverride).toEqual({ target: 'Pxe', enabled: 'Disabled' });
    expect(bmc.system('1').journal).toEqual(['boot Pxe Once', 'reset On', 'power On']);
  });

  it('sessions: log in with UserName/Password, use X-Auth-Token, log out by deleting the session', async () => {
    const login = await call('POST', '/redfish/v1/SessionService/Sessions', { UserName: 'admin', Password: 'secret' }, {});
    expect(login.status).toBe(201);
    const token = login.headers['x-auth-token'] as string;
    const location = login.headers.location as string;
    expect((await call('GET', '/redfish/v1/Systems', undefined, { 'x-auth-token': token })).status).toBe(200);
    expect((await call('DELETE', location, undefined, { 'x-auth-token': token })).status).toBe(204);
    expect((await call('GET', '/redfish/v1/Systems', undefined, { 'x-auth-token': token })).status).toBe(401);
    expect((await call('POST', '/redfish/v1/SessionService/Sessions', { UserName: 'admin', Password: 'nope' }, {})).status).toBe(401);
  });

  it('injected faults: 503 with Retry-After, then a BMC that stops answering altogether', async () => {
    bmc.failNext(1, 503, 7);
    const busy = await call('GET', '/redfish/v1/Systems');
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('7');
    expect(firstInfo(busy.json)).toMatchObject({ MessageId: 'Base.1.8.ServiceTemporarilyUnavailable', MessageArgs: ['7'] });
    expect((await call('GET', '/redfish/v1/Systems')).status).toBe(200);
    bmc.stopAnswering();
    try {
      await expect(call('GET', '/redfish/v1/Systems')).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    } finally {
      bmc.resume();
    }
  });
});
