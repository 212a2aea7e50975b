import type { ControlPlane } from '../../src/api/control-plane.js';
import type { InstanceCreate } from '../../src/core/instance.js';

/** What every benchmark instance asks for; only name, provider and flavor vary. */
export function instanceRequest(name: string, provider: string, flavor: string): InstanceCreate {
  return {
    name,
    project: 'default',
    labels: { app: 'bench', tier: 'web' },
    provider,
    flavor,
    image: 'ubuntu-24.04',
    market: 'on-demand',
    powerState: 'on',
    driftPolicy: 'report',
  };
}

/**
 * Creates `count` instances through the InstanceService, `parallel` at a time, spread round-robin over the
 * providers and flavors. Returns their ids in creation order.
 */
export async function createInstances(
  cp: ControlPlane,
  opts: { count: number; namePrefix: string; providers: string[]; flavors: string[]; parallel: number },
): Promise<string[]> {
  const ids: string[] = new Array(opts.count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < opts.count; i = next++) {
      const provider = opts.providers[i % opts.providers.length]!;
      const flavor = opts.flavors[i % opts.flavors.length]!;
      ids[i] = (await cp.instances.create(instanceRequest(`${opts.namePrefix}-${i}`, provider, flavor))).id;
    }
  };
  await Promise.all(Array.from({ length: opts.parallel }, worker));
  return ids;
}
