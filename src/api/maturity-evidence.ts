import { INSTANCE_KIND, type InstanceSpec, type InstanceStatus } from '../core/instance.js';
import type { MaturityEvidence } from '../metering/maturity.js';
import { PUBLIC_CLOUDS } from '../metering/price-key.js';
import type { ControlPlane } from './control-plane.js';

const DAY_MS = 86_400_000;
const SSO_SETTING = 'sso.config';

/**
 * Gathers the maturity model's evidence from every plane (compute, identity, metering). It lives here, in the
 * composition layer, because it reads across planes that do not depend on each other. `extra` carries figures
 * of parts that report them themselves (metric rollups, budgets, price-performance).
 */
export async function gatherMaturityEvidence(
  cp: ControlPlane,
  extra: { metricHours30d: () => Promise<number>; budgets: () => Promise<number>; pricePerformanceMeasured: () => Promise<number> },
): Promise<MaturityEvidence> {
  const since = new Date(Date.now() - 30 * DAY_MS).toISOString();
  const now = new Date().toISOString();

  const instances = { total: 0, managed: 0, placedFromRequirements: 0 };
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof cp.store.list<InstanceSpec, InstanceStatus>>> = await cp.store.list<InstanceSpec, InstanceStatus>(INSTANCE_KIND, { limit: 1000, cursor });
    for (const i of page.items) {
      instances.total++;
      if (!i.spec.managed) continue;
      instances.managed++;
      if (i.spec.requirements) instances.placedFromRequirements++;
    }
    cursor = page.nextCursor;
  } while (cursor);

  const providers: MaturityEvidence['providers'] = { private: [], public: [], simulated: [] };
  for (const d of cp.providers.all()) {
    if (d.simulated) providers.simulated.push(d.name);
    else (PUBLIC_CLOUDS.has(d.type) ? providers.public : providers.private).push(d.name);
  }

  const creates = await cp.store.db
    .selectFrom('audit_log as a')
    .leftJoin('principals as p', 'p.id', 'a.principal_id')
    .select(['p.kind as kind'])
    .where('a.action', '=', 'instance.create')
    .where('a.result', '=', 'success')
    .where('a.at', '>=', since)
    .execute();

  let instanceHours30d = 0;
  let pricedHours30d = 0;
  for await (const page of cp.ledger.lines({ from: since, to: now })) {
    for (const line of page) {
      if (line.state !== 'running') continue;
      const hours = line.durationMs / 3_600_000;
      instanceHours30d += hours;
      if (line.unitPriceMicros !== null) pricedHours30d += hours;
    }
  }

  const sso = await cp.store.db.selectFrom('settings').select('key').where('key', '=', SSO_SETTING).executeTakeFirst();
  return {
    instances,
    providers,
    creates30d: { total: creates.length, automated: creates.filter((c) => c.kind === 'service').length },
    singleSignOn: sso !== undefined,
    cloudFederation: cp.federation.aws.accounts.length > 0 ? ['aws'] : [],
    metering: { instanceHours30d, pricedHours30d, budgets: await extra.budgets(), metricHours30d: await extra.metricHours30d() },
    pricePerformanceMeasured: await extra.pricePerformanceMeasured(),
  };
}
