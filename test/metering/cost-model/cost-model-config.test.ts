import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ControlPlane } from '../../../src/api/control-plane.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import { parseCostModel, parseCostModels, type CostModelInput } from '../../../src/metering/cost-model/cost-model-config.js';
import { ConfigError, loadConfig } from '../../../src/runtime/config.js';

const VALID: CostModelInput = {
  servers: [{ count: 4, vcpus: 64, memoryGiB: 512, capexUsd: 18_000, amortisationYears: 5, powerWatts: 450 }],
  electricityUsdPerKwh: 0.11,
  pue: 1.4,
  space: { usdPerRackMonth: 1_200, serversPerRack: 10 },
  networkUsdPerServerMonth: 30,
  support: { usdPerServerYear: 900 },
  people: { usdPerEngineerYear: 150_000, serversPerEngineer: 200 },
  targetUtilisation: 0.7,
};

function errorOf(costModel: unknown, type = 'baremetal'): string {
  try {
    parseCostModel({ name: 'dc1', type, costModel: costModel as Record<string, unknown> });
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return (e as Error).message;
  }
  throw new Error('expected the cost model to be refused');
}

describe('costModel configuration', () => {
  it('fills in the documented defaults and keeps keys in one order, however the YAML was written', () => {
    const inputs = parseCostModel({ name: 'dc1', type: 'baremetal', costModel: VALID as Record<string, unknown> })!;
    expect(inputs.cpuMemorySplit).toBe('public-catalog');
    expect(inputs.servers[0]).toEqual({ name: 'server-1', count: 4, vcpus: 64, memoryGiB: 512, capexUsd: 18_000, amortisationYears: 5, powerWatts: 450, gpus: null });
    const reordered = parseCostModel({ name: 'dc1', type: 'baremetal', costModel: { ...VALID, servers: [{ powerWatts: 450, name: 'server-1', ...VALID.servers[0] }] } })!;
    expect(JSON.stringify(reordered)).toBe(JSON.stringify(inputs));
    expect(parseCostModel({ name: 'dc1', type: 'baremetal' })).toBeNull();
  });

  it('names every missing key, with what it is', () => {
    const message = errorOf({ servers: [{ count: 2 }] });
    expect(message.split('\n')).toEqual([
      'provider "dc1": costModel is invalid; nothing was applied:',
      '  - costModel.servers[0].vcpus: is required: expected a number',
      '  - costModel.servers[0].memoryGiB: is required: expected a number',
      '  - costModel.servers[0].capexUsd: is required: expected a number',
      '  - costModel.servers[0].amortisationYears: is required: expected a number',
      '  - costModel.servers[0].powerWatts: is required: expected a number',
      '  - costModel.electricityUsdPerKwh: is required: expected a number',
      '  - costModel.pue: is required: expected a number',
      '  - costModel.space: is required: expected a mapping (key: value)',
      '  - costModel.networkUsdPerServerMonth: is required: expected a number',
      '  - costModel.support: is required: expected a mapping (key: value)',
      '  - costModel.people: is required: expected a mapping (key: value)',
      '  - costModel.targetUtilisation: is required: expected a number',
    ]);
  });

  it('says what was wrong with each bad value and what is expected instead', () => {
    const bad = {
      ...VALID,
      servers: [{ ...VALID.servers[0], count: 0, vcpus: 12.5, amortisationYears: 0, memoryGiB: '512' }],
      pue: 0.9,
      targetUtilisation: 1.2,
      space: { usdPerRackMonth: -1, serversPerRack: 10 },
      cpuMemorySplit: { cpuShare: 1 },
      colour: 'blue',
    };
    const lines = errorOf(bad).split('\n').slice(1);
    expect(lines).toEqual([
      '  - costModel.servers[0].count: must be at least 1: the number of servers of this type',
      '  - costModel.servers[0].vcpus: must be a whole number of hardware threads per server',
      '  - costModel.servers[0].memoryGiB: expected a number, got text ("512")',
      '  - costModel.servers[0].amortisationYears: must be greater than 0: the years over which a server is written off (typically 3 to 6)',
      "  - costModel.pue: must be 1 or more: PUE is the facility's power over the IT power (typically 1.2 to 1.8)",
      '  - costModel.space.usdPerRackMonth: must be 0 or more: the rent of one rack per month, in USD',
      '  - costModel.targetUtilisation: must be greater than 0 and at most 1: the share of capacity you expect to be in use (e.g. 0.7)',
      "  - costModel.cpuMemorySplit.cpuShare: cpuShare is the share of a server's cost carried by its vCPUs, greater than 0 and less than 1 (e.g. 0.6); memory carries the rest",
      '  - costModel: unknown key "colour"; the keys allowed here are: servers, electricityUsdPerKwh, pue, space, networkUsdPerServerMonth, support, people, targetUtilisation, cpuMemorySplit',
    ]);
  });

  it('refuses the mistakes a schema of types alone would let through', () => {
    expect(errorOf({ ...VALID, support: { usdPerServerYear: 900, percentOfCapexPerYear: 8 } })).toContain(
      'costModel.support: give exactly one of usdPerServerYear (e.g. 900) or percentOfCapexPerYear (e.g. 8)',
    );
    expect(errorOf({ ...VALID, support: {} })).toContain('costModel.support: give exactly one of');
    expect(errorOf({ ...VALID, cpuMemorySplit: 'evenly' })).toContain(
      'costModel.cpuMemorySplit: must be public-catalog (vCPU and GiB weighed by their public list prices) or { cpuShare: 0.6 }',
    );
    expect(errorOf({ ...VALID, servers: [{ ...VALID.servers[0], gpus: { count: 4, capexUsd: 40_000, powerWatts: 1_200 } }] })).toContain(
      "costModel.servers[0].gpus.capexUsd: is more than the whole server's capexUsd (18000): give the part of the server's price that is the GPUs",
    );
    expect(errorOf({ ...VALID, servers: [{ ...VALID.servers[0], name: 'r650' }, { ...VALID.servers[0], name: 'r650' }] })).toContain(
      'costModel.servers[1].name: "r650" is already the name of servers[0]: server type names must be unique',
    );
    expect(errorOf({ ...VALID, servers: [] })).toContain('costModel.servers: list at least one server type');
    expect(errorOf(VALID, 'aws')).toBe(
      'provider "dc1": costModel is for private providers: a provider of type aws is priced by the cloud\'s published list prices in the price catalog. Remove the costModel block',
    );
  });

  it('reports the mistakes of every provider at once', () => {
    try {
      parseCostModels([
        { name: 'a', type: 'sim', costModel: { ...VALID, pue: 0 } as Record<string, unknown> },
        { name: 'b', type: 'sim' },
        { name: 'c', type: 'libvirt', costModel: { ...VALID, targetUtilisation: 0 } as Record<string, unknown> },
      ]);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/provider "a": costModel is invalid[^]*costModel\.pue[^]*provider "c": costModel is invalid[^]*costModel\.targetUtilisation/);
    }
  });

  it('is carried by tessera.yaml as a provider key; a value that is no mapping is refused at load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cost-config-'));
    try {
      writeFileSync(join(dir, 'tessera.yaml'), 'providers:\n  - name: dc1\n    type: sim\n    costModel:\n      pue: 1.4\n');
      expect(loadConfig({ env: {}, cwd: dir }).providers![0]!.costModel).toEqual({ pue: 1.4 });
      writeFileSync(join(dir, 'tessera.yaml'), 'providers:\n  - name: dc1\n    type: sim\n    costModel: 5\n');
      expect(() => loadConfig({ env: {}, cwd: dir })).toThrow(ConfigError);
      expect(() => loadConfig({ env: {}, cwd: dir })).toThrow(/providers\[0\]\.costModel: expected a mapping \(key: value\), got 5/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops a control plane from starting before it opens or writes anything', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tessera-cost-start-'));
    const dir = join(base, 'data');
    try {
      await expect(
        ControlPlane.open({
          dataDir: dir,
          providers: [{ name: 'dc1', type: 'sim', costModel: { ...VALID, electricityUsdPerKwh: -0.1 } as Record<string, unknown> }],
          logger: pino({ level: 'silent' }),
          discovery: null,
          env: { TESSERA_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') },
        }),
      ).rejects.toThrow(/provider "dc1": costModel is invalid; nothing was applied:\n {2}- costModel\.electricityUsdPerKwh: must be 0 or more/);
      expect(existsSync(dir)).toBe(false);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
