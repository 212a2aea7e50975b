import { UnsatisfiableError } from '../core/errors.js';
import type { Instance, InstanceCreate, PlacementFailure } from '../core/instance.js';
import type { Offer } from '../core/offer.js';
import { resolvePlacement, type Placement } from './resolve-placement.js';

/**
 * Where an instance placed from requirements goes after an offer refused it (capacity, quota): the cheapest
 * matching offer, within what the request fixed, outside every region that has refused it so far — SkyPilot's
 * eager failover. Null when the instance named its flavor (never moved) or nothing else matches.
 */
export function nextPlacement(
  inst: Instance,
  failures: PlacementFailure[],
  offers: Offer[],
  providerNames: string[],
  /** Whether a provider has the instance's image (null: it could not say, so it may). */
  imagesOf: (provider: string) => string[] | null,
): Placement | null {
  const c = inst.spec.constraints;
  if (!c || !inst.spec.requirements) return null;
  const refused = new Set(failures.map((f) => `${f.provider}/${f.region}`));
  const candidates = offers.filter((o) => {
    if (refused.has(`${o.provider}/${o.region}`)) return false;
    const images = imagesOf(o.provider);
    return images === null || images.includes(inst.spec.image);
  });
  const req: InstanceCreate = {
    name: inst.name,
    project: inst.project,
    labels: inst.labels,
    provider: c.provider ?? undefined,
    region: c.region ?? undefined,
    zone: c.zone ?? undefined,
    requirements: inst.spec.requirements,
    image: inst.spec.image,
    market: inst.spec.market,
    powerState: inst.spec.powerState,
    driftPolicy: inst.spec.driftPolicy,
  };
  // A fixed region that refused leaves no candidate there: resolvePlacement would call that bad input, but here
  // it only means there is nowhere left to go.
  if (c.region !== null && !candidates.some((o) => o.region === c.region)) return null;
  try {
    return resolvePlacement(req, candidates, providerNames);
  } catch (e) {
    if (e instanceof UnsatisfiableError) return null;
    throw e;
  }
}

/** One line per refusal, for events and the final failure message. */
export function describeFailures(failures: PlacementFailure[]): string {
  return failures.map((f) => `${f.provider}/${f.region}/${f.flavor}: ${f.code ?? f.errorClass}`).join('; ');
}
