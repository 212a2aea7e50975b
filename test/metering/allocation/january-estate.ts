import { SINCE_EVER } from '../../../src/metering/catalog/catalog-diff.js';
import type { ClockedEstate } from './clocked-estate.js';

export const JANUARY = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };

/**
 * January 2026 of a small mixed estate, with what makes allocation hard: a private provider with a cost model
 * that grows mid-month (2 servers, then 3), price changes mid-day on both clouds, an instance stopped and started
 * and resized, a spot instance started at an odd millisecond, an unpriced one, labels, and a shared instance.
 *
 *   alpha  web    onprem small → stopped Jan 10–12 → large from Jan 20       team=web
 *   alpha  api    aws-sim m6i.large Jan 3 – deleted Jan 25                    team=api
 *   beta   batch  aws-sim m6i.large spot, Jan 5 12:34:56.789 – Jan 7
 *   beta   db     onprem large from Jan 2                                    team=data
 *   gamma  odd    nopricecloud x, Jan 8 – Jan 9 (no catalog price)
 *   ops    mon    onprem small from Jan 1, labelled tessera.io/shared=true   team=ops
 */
export async function buildJanuaryEstate(e: ClockedEstate): Promise<void> {
  e.at('2025-12-31T00:00:00.000Z');
  await e.price('onprem', 'r1', 'small', 0.02);
  await e.price('onprem', 'r1', 'large', 0.08);
  await e.price('aws', 'r1', 'm6i.large', 0.118);
  await e.price('aws', 'r1', 'm6i.large', 0.041, 'spot');
  await e.costModel('onprem', [{ count: 2, capexUsd: 12_000 }], SINCE_EVER);

  e.at('2026-01-01T00:00:00.000Z');
  const mon = await e.run({ name: 'mon', project: 'ops', provider: 'onprem', flavor: 'small', labels: { 'tessera.io/shared': 'true', team: 'ops' } });
  e.at('2026-01-01T06:00:00.000Z');
  const web = await e.run({ name: 'web', project: 'alpha', provider: 'onprem', flavor: 'small', labels: { team: 'web' } });
  e.at('2026-01-02T09:15:00.000Z');
  await e.run({ name: 'db', project: 'beta', provider: 'onprem', flavor: 'large', kind: 'baremetal', labels: { team: 'data' } });
  e.at('2026-01-03T00:00:00.000Z');
  const api = await e.run({ name: 'api', project: 'alpha', provider: 'aws-sim', flavor: 'm6i.large', labels: { team: 'api' } });
  e.at('2026-01-05T12:34:56.789Z');
  const batch = await e.run({ name: 'batch', project: 'beta', provider: 'aws-sim', flavor: 'm6i.large', market: 'spot' });
  e.at('2026-01-07T00:00:00.000Z');
  await e.remove(batch);
  e.at('2026-01-08T00:00:00.000Z');
  const odd = await e.run({ name: 'odd', project: 'gamma', provider: 'nopricecloud', flavor: 'x', kind: 'container' });
  e.at('2026-01-09T00:00:00.000Z');
  await e.remove(odd);
  e.at('2026-01-10T00:00:00.000Z');
  await e.stop(web);
  e.at('2026-01-12T00:00:00.000Z');
  await e.start(web);
  e.at('2026-01-15T12:00:00.000Z');
  await e.price('onprem', 'r1', 'small', 0.025);
  e.at('2026-01-16T00:00:00.000Z');
  await e.costModel('onprem', [{ count: 3, capexUsd: 12_000 }]);
  e.at('2026-01-20T00:00:00.000Z');
  await e.resize(web, 'large');
  e.at('2026-01-20T17:00:00.000Z');
  await e.price('aws', 'r1', 'm6i.large', 0.121);
  e.at('2026-01-25T00:00:00.000Z');
  await e.remove(api);
  void mon;
  e.at('2026-02-02T00:00:00.000Z');
}
