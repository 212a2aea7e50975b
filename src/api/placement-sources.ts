import type { OfferCatalog } from '../compute/offer-catalog.js';
import { InvalidInputError } from '../core/errors.js';
import { priceperfKey, type PlacementSources } from '../deploy/placement-offers.js';
import type { LedgerService } from '../metering/ledger/ledger-service.js';
import type { OtlpMetering } from '../metering/otlp/otlp-metering.js';
import { pricePerformance } from '../metering/priceperf/price-performance.js';
import { WORK_UNIT_KIND, type WorkUnitSpec } from '../metering/priceperf/work-unit.js';
import { PUBLIC_CLOUDS, priceKeysOf } from '../metering/price-key.js';
import type { ProviderConfig } from '../providers/registry.js';
import type { Store } from '../store/store.js';

/** How far back the price-performance that ranks offers under `objective: priceperf` looks. */
const PRICEPERF_WINDOW_MS = 7 * 86_400_000;
/**
 * A week's figures barely move in minutes, and a converging deployment is planned every few hundred ms: each
 * work unit's figures are computed at most this often (a ledger read over the week and the OTLP rollups).
 */
const PRICEPERF_TTL_MS = 5 * 60_000;

/**
 * The deploy plane's view of the rest of Tessera (src/deploy/placement-offers.ts), composed here because it reads
 * across planes that do not depend on each other: compute's catalog, metering's prices and price-performance,
 * and the operators' configuration.
 */
export function placementSources(deps: {
  store: Store;
  catalog: OfferCatalog;
  ledger: LedgerService;
  otlp: OtlpMetering;
  providers: ProviderConfig[];
}): PlacementSources {
  const priceKeyOf = priceKeysOf(deps.providers);
  const measured = new Map<string, { at: number; figures: Promise<Map<string, number>> }>();
  const configured = new Map(deps.providers.map((p) => [p.name, p.placement ?? {}]));
  return {
    offers: () => deps.catalog.all(),
    imageNames: (provider) => deps.catalog.imageNames(provider),
    publicCloudOf: (provider) => {
      const key = priceKeyOf(provider);
      return PUBLIC_CLOUDS.has(key) ? key : null;
    },
    configuredLabels: (provider, region) => {
      const p = configured.get(provider);
      return { ...p?.labels, ...p?.regions?.[region] };
    },
    priceperf: (project, workUnit) => {
      const key = `${project}/${workUnit}`;
      const hit = measured.get(key);
      if (hit && Date.now() - hit.at < PRICEPERF_TTL_MS) return hit.figures;
      const figures = measure(project, workUnit);
      measured.set(key, { at: Date.now(), figures });
      // A failure (no such work unit, the store unreachable) is not kept: the next plan asks again.
      figures.catch(() => measured.delete(key));
      return figures;
    },
  };

  async function measure(project: string, workUnit: string): Promise<Map<string, number>> {
    const [unit] = (await deps.store.list<WorkUnitSpec, object>(WORK_UNIT_KIND, { project, name: workUnit, limit: 1 })).items;
    if (!unit) {
      throw new InvalidInputError(
        `placement.workUnit "${workUnit}" is not a work unit of project ${project}: declare it first (PUT /v1/projects/${project}/work-units/${workUnit}), or use objective cost`,
        { field: 'spec.placement.workUnit' },
      );
    }
    await deps.ledger.catchUp();
    const to = new Date().toISOString();
    const from = new Date(Date.now() - PRICEPERF_WINDOW_MS).toISOString();
    const report = await pricePerformance(unit.spec, deps.ledger.lines({ from, to, projects: [project] }), (w) => deps.otlp.workDone(w), { from, to });
    const out = new Map<string, number>();
    for (const row of report.rows) {
      if (row.costPerUnitMicros !== null) out.set(priceperfKey(row.provider, row.region, row.flavor), row.costPerUnitMicros);
    }
    return out;
  }
}
