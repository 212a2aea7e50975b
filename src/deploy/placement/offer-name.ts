import type { PlacementOffer } from './problem.js';

/** How an offer is named in explanations and errors: `aws/ap-northeast-2/m6i.large`, `(spot)` when it is. */
export function offerName(o: PlacementOffer): string {
  return `${o.provider}/${o.region}/${o.flavor}${o.market === 'spot' ? ' (spot)' : ''}`;
}
