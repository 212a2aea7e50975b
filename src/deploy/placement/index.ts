export type * from './problem.js';
export { place, AUTO_EXACT_MAX_OFFERS, type PlaceOptions } from './place.js';
export { offerKey, offerName } from './offer-name.js';
