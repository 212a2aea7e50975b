import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSimDriver } from '../../src/providers/sim/driver.js';

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-sim-seed-'));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

it('seeds 100,000 foreign machines and lists them in pages of 1,000', async () => {
  const driver = await createSimDriver('discovery', { regions: [{ name: 'r1' }, { name: 'r2' }] }, { dataDir });
  try {
    const seedStart = performance.now();
    expect(driver.seedMachines(100_000)).toBe(100_000);
    const seedMs = performance.now() - seedStart;

    const listStart = performance.now();
    let count = 0;
    let pages = 0;
    for await (const page of driver.list({ pageSize: 1_000 })) {
      count += page.length;
      pages++;
    }
    const listMs = performance.now() - listStart;
    console.log(`sim: seeded 100,000 machines in ${seedMs.toFixed(0)} ms, listed them in ${pages} pages in ${listMs.toFixed(0)} ms`);

    expect(count).toBe(100_000);
    expect(pages).toBe(100);
  } finally {
    await driver.close();
  }
});
