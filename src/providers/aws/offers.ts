import type { Offer } from '../../core/offer.js';
import type { ListPrice } from '../driver.js';
import type { RegionFacts, ZoneFacts } from './region-facts.js';

/**
 * An aws provider's offers in one region: each instance type EC2 says exists there, at each price Tessera's
 * catalog holds for it. A type without a price is left out (an offer needs one), as is a price for a type the
 * region does not have. On-demand prices are the same in every zone of a region, so they make one region-wide
 * offer; spot prices differ by zone, so a spot price published for a zone makes an offer in that zone — price
 * lists name zones by id (`use1-az4`), which DescribeAvailabilityZones maps to this account's zone name.
 */
export function offersOf(provider: string, region: string, facts: RegionFacts, prices: ListPrice[]): Offer[] {
  const best = new Map<string, Offer>();
  for (const price of prices) {
    if (price.region !== region) continue;
    const type = facts.instanceTypes.get(price.flavor);
    if (!type) continue;
    let zone: string | null = null;
    if (price.market === 'spot' && price.zone !== null) {
      const found = zoneNamed(facts.zones, price.zone);
      if (!found) continue; // a zone this account does not have
      zone = found.name;
    }
    const offer: Offer = {
      provider,
      region,
      zone,
      flavor: type.name,
      vcpus: type.vcpus,
      memoryGiB: type.memoryGiB,
      gpus: type.gpus,
      arch: type.arch,
      kind: type.bareMetal ? 'baremetal' : 'vm',
      market: price.market,
      priceMicrosPerHour: price.priceMicrosPerHour,
      // EC2 does not say how many more instances a region can take.
      available: null,
    };
    // Several catalog rows for one offer (an on-demand price per zone, say): the lowest stands.
    const key = `${offer.flavor}|${offer.market}|${offer.zone ?? ''}`;
    const held = best.get(key);
    if (!held || offer.priceMicrosPerHour < held.priceMicrosPerHour) best.set(key, offer);
  }
  return [...best.values()].sort((a, b) => a.flavor.localeCompare(b.flavor) || a.market.localeCompare(b.market) || (a.zone ?? '').localeCompare(b.zone ?? ''));
}

function zoneNamed(zones: ZoneFacts[], zone: string): ZoneFacts | undefined {
  return zones.find((z) => z.id === zone || z.name === zone);
}
