import type { Market } from '../core/offer.js';
import type { Store } from '../store/store.js';
import type { PriceCatalog } from './catalog/price-catalog.js';
import { PUBLIC_CLOUDS } from './price-key.js';

const HOURS_PER_YEAR = 8_760;

/** What the running estate costs, and what its private part would cost on the cheapest public offers. */
export interface FleetCosts {
  runningInstances: number;
  /** What the running estate costs a year at today's prices if nothing changes, in µ$. */
  annualRunRateMicros: { private: number; public: number; total: number };
  /** Running instances the catalog has no price for today (left out of the run-rate, never guessed). */
  unpricedRunning: number;
  /**
   * Private instances beside the cheapest public on-demand offer with at least their vCPUs and memory: the
   * average hourly cost of each, and private ÷ public (the seed's "1/100"-style claim, from your own data).
   */
  privateVsPublic: {
    comparedInstances: number;
    privateMicrosPerHour: number;
    publicMicrosPerHour: number;
    ratio: number | null;
  };
}

/**
 * Computed from the usage ledger's open segments (what is running now, and where) and the price catalog (what
 * it costs now). Private and public are told apart by whose prices apply: a public cloud's list, or a provider's own.
 */
export async function fleetCosts(store: Store, prices: PriceCatalog, projects: string[] | undefined): Promise<FleetCosts> {
  let query = store.db
    .selectFrom('usage_segments')
    .select(['price_key', 'region', 'flavor', 'market'])
    .where('end_at', 'is', null)
    .where('state', '=', 'running');
  if (projects) query = query.where('project', 'in', projects.length > 0 ? projects : ['']);
  const running = await query.execute();

  const now = store.nowIso();
  const priceCache = new Map<string, Promise<{ micros: number; vcpus: number; memoryGiB: number } | null>>();
  const priceOf = (key: string, region: string, flavor: string, market: Market) => {
    const k = `${key}/${region}/${flavor}/${market}`;
    if (!priceCache.has(k)) {
      priceCache.set(
        k,
        prices.priceAt({ provider: key, region, flavor, market }, now).then((p) => (p ? { micros: p.priceMicrosPerHour, vcpus: p.vcpus, memoryGiB: p.memoryGiB } : null)),
      );
    }
    return priceCache.get(k)!;
  };
  const publicCache = new Map<string, Promise<number | null>>();
  const cheapestPublic = (vcpus: number, memoryGiB: number) => {
    const k = `${vcpus}/${memoryGiB}`;
    if (!publicCache.has(k)) {
      publicCache.set(
        k,
        prices
          .list({ providers: [...PUBLIC_CLOUDS], minVcpus: vcpus, minMemoryGiB: memoryGiB, market: 'on-demand', limit: 1 })
          .then((page) => page.items[0]?.priceMicrosPerHour ?? null),
      );
    }
    return publicCache.get(k)!;
  };

  const out: FleetCosts = {
    runningInstances: running.length,
    annualRunRateMicros: { private: 0, public: 0, total: 0 },
    unpricedRunning: 0,
    privateVsPublic: { comparedInstances: 0, privateMicrosPerHour: 0, publicMicrosPerHour: 0, ratio: null },
  };
  let privateSum = 0;
  let publicSum = 0;
  for (const r of running) {
    const price = await priceOf(r.price_key, r.region, r.flavor, r.market as Market);
    if (!price) {
      out.unpricedRunning++;
      continue;
    }
    const yearly = price.micros * HOURS_PER_YEAR;
    const isPublic = PUBLIC_CLOUDS.has(r.price_key);
    out.annualRunRateMicros[isPublic ? 'public' : 'private'] += yearly;
    out.annualRunRateMicros.total += yearly;
    if (isPublic) continue;
    const alternative = await cheapestPublic(price.vcpus, price.memoryGiB);
    if (alternative === null) continue;
    out.privateVsPublic.comparedInstances++;
    privateSum += price.micros;
    publicSum += alternative;
  }
  const n = out.privateVsPublic.comparedInstances;
  if (n > 0) {
    out.privateVsPublic.privateMicrosPerHour = Math.round(privateSum / n);
    out.privateVsPublic.publicMicrosPerHour = Math.round(publicSum / n);
    out.privateVsPublic.ratio = publicSum === 0 ? null : Math.round((privateSum / publicSum) * 10_000) / 10_000;
  }
  return out;
}
