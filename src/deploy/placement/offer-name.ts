import type { PlacementOffer } from './problem.js';

/** How an offer is named in explanations and errors: `aws/ap-northeast-2/m6i.large`, `(spot)` when it is. */
export function offerName(o: PlacementOffer): string {
  return `${o.provider}/${o.region}/${o.flavor}${o.market === 'spot' ? ' (spot)' : ''}`;
}

/** Identifies an offer across catalog reads (prices and availability change; these four do not). */
export function offerKey(o: Pick<PlacementOffer, 'provider' | 'region' | 'flavor' | 'market'>): string {
  return `${o.provider}\u0000${o.region}\u0000${o.flavor}\u0000${o.market}`;
}
