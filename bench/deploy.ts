/**
 * The deployment controller's cost: a deployment of 2,000 replicas over 4 simulated providers (each behind
 * Tessera's own limit of 100 calls/s) until it is Available, against the same 2,000 instances created directly
 * through the instance API in the same run (the compute plane alone, its controller, the same providers). Then the
 * same deployment with one provider's region refusing every create (capacity): the time to Available and the
 * re-placements it took.
 *
 *   node --import tsx bench/deploy.ts [--db sqlite|postgres]
 */
import type { ControlPlane } from '../src/api/control-plane.js';
import { INSTANCE_KIND } from '../src/core/instance.js';
import { DeploymentDocument } from '../src/deploy/deployment.js';
import type { SimConfigInput } from '../src/providers/sim/config.js';
import { createBenchDatabase, dialectsFromArgs, type BenchDialect } from './lib/bench-database.js';
import { openControlPlane, simProvider } from './lib/control-plane.js';
import { createInstances } from './lib/instances.js';
import { machineFacts } from './lib/machine.js';
import { figure, note, printHeader, printSection, target } from './lib/report.js';
import { pollUntil } from './lib/wait.js';

const REPLICAS = 2_000;
const PROVIDERS = ['sim-a', 'sim-b', 'sim-c', 'sim-d'];
const CALLS_PER_SECOND = 100;
const FLOOR_SECONDS = REPLICAS / (PROVIDERS.length * CALLS_PER_SECOND);
const TIMEOUT_SECONDS = 10 * FLOOR_SECONDS + 30;
const REGIONS = [{ name: 'r1', zones: ['r1a'] }, { name: 'r2', zones: ['r2a'] }];
/** One price for every provider and region, so the spread objective shares the replicas out evenly. */
const FLAVORS = [{ name: 'medium', vcpus: 2, memoryGiB: 4, priceUsdPerHour: '0.02' }];
const MEASURED: SimConfigInput = { regions: REGIONS, flavors: FLAVORS, latencyMs: { min: 50, max: 200 }, failureRates: { retryable: 0.02 }, provisionSeconds: 0 };

async function main(): Promise<void> {
  for (const dialect of dialectsFromArgs()) {
    printHeader(`deploy (${dialect}): ${REPLICAS.toLocaleString('en-US')} replicas over ${PROVIDERS.length} sim providers at ${CALLS_PER_SECOND} calls/s each`, machineFacts(dialect));
    note('providers: latency 50–200 ms, 2 % retryable faults on create/delete/power; the floor is replicas / (providers × calls/s)');

    printSection('baseline: the same number of instances through POST /v1/instances (compute plane only)');
    const direct = await timed(dialect, 'deploy-direct', {}, async (cp) => {
      await createInstances(cp, { count: REPLICAS, namePrefix: 'direct', providers: PROVIDERS, flavors: ['medium'], parallel: 32 });
    });
    figure('time to all Running', direct.seconds, 's', `floor ${FLOOR_SECONDS} s`);

    printSection('measured: one Deployment of the same size (objective spread), from apply to Available');
    const deployed = await timed(dialect, 'deploy-deployment', {}, async (cp) => {
      await cp.deployments.apply(deployment());
    });
    figure('time to Available', deployed.seconds, 's', `${deployed.running} Running`);
    target('ratio deployment / direct instances', deployed.seconds / direct.seconds, '≤', 1.2);

    printSection('measured: the same Deployment while sim-a refuses every create in r1 (capacity)');
    const failover = await timed(dialect, 'deploy-failover', { 'sim-a': { ...MEASURED, regions: [{ ...REGIONS[0]!, failureRates: { capacity: 1 } }, REGIONS[1]!] } }, async (cp) => {
      await cp.deployments.apply(deployment());
    });
    figure('time to Available', failover.seconds, 's', `${failover.running} Running, ${failover.replaced} replica(s) re-placed after a refusal`);
    figure('ratio to the run without refusals', failover.seconds / deployed.seconds, '');
  }
}

function deployment(): DeploymentDocument {
  return DeploymentDocument.parse({
    kind: 'Deployment',
    metadata: { name: 'bench' },
    spec: { replicas: REPLICAS, template: { requirements: { vcpus: 2, memoryGiB: 4 } }, placement: { objective: 'spread', spreadBy: 'region' } },
  });
}

/** A fresh database and fresh providers; starts the controllers, runs `act`, waits until REPLICAS are Running. */
async function timed(
  dialect: BenchDialect,
  label: string,
  overrides: Record<string, SimConfigInput>,
  act: (cp: ControlPlane) => Promise<void>,
): Promise<{ seconds: number; running: number; replaced: number }> {
  const db = await createBenchDatabase(dialect, label);
  const cp = await openControlPlane(
    db,
    PROVIDERS.map((p) => simProvider(p, overrides[p] ?? MEASURED, { perSecond: CALLS_PER_SECOND, burst: CALLS_PER_SECOND })),
    { controller: { concurrency: 64, pollMs: 1_000 } },
  );
  try {
    cp.startBackground();
    const started = performance.now();
    await act(cp);
    let running = 0;
    await pollUntil(
      async () => {
        running = await cp.store.count(INSTANCE_KIND, { phase: 'Running' });
        if (running < REPLICAS) return false;
        // A deployment is done when its own status says so (Available), not merely when its machines run.
        const d = await cp.deployments.findByName('default', 'bench');
        return d === null || (d.status.phase === 'Available' && d.status.observedGeneration === d.generation);
      },
      { intervalMs: 100, timeoutMs: TIMEOUT_SECONDS * 1000 },
    );
    const seconds = (performance.now() - started) / 1000;
    if (running < REPLICAS) note(`gave up after ${TIMEOUT_SECONDS} s with ${running} Running`);
    const refused = await cp.store.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).where('type', '=', 'ReplicaFailed').executeTakeFirstOrThrow();
    return { seconds, running, replaced: Number(refused.n) };
  } finally {
    await cp.close();
    await db.dispose();
  }
}

await main();
