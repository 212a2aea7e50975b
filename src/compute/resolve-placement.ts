import { InvalidInputError, UnsatisfiableError } from '../core/errors.js';
import type { InstanceCreate, Scheduling } from '../core/instance.js';
import { formatUsd } from '../core/money.js';
import type { Offer } from '../core/offer.js';

export interface Placement {
  provider: string;
  region: string;
  zone: string | null;
  flavor: string;
  scheduling: Scheduling;
}

const ALTERNATIVES_SHOWN = 3;

function describe(o: Offer): string {
  return `${o.provider}/${o.region}/${o.flavor} (${o.vcpus} vCPU, ${o.memoryGiB} GiB${o.gpus ? `, ${o.gpus} GPU` : ''}, $${formatUsd(o.priceMicrosPerHour)}/h ${o.market})`;
}

function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/**
 * Turns what a client asked for into one concrete offer: a pinned provider flavor is checked against what that
 * provider sells; requirements go to the cheapest matching offer. The answer records why, and the next-cheapest.
 */
export function resolvePlacement(req: InstanceCreate, offers: Offer[], providerNames: string[]): Placement {
  if (req.provider !== undefined && !providerNames.includes(req.provider)) {
    throw new InvalidInputError(`provider "${req.provider}" is not configured: use one of ${providerNames.join(', ')}`, {
      field: 'provider',
    });
  }
  let candidates = offers.filter((o) => o.market === req.market);
  if (req.provider !== undefined) candidates = candidates.filter((o) => o.provider === req.provider);

  if (req.region !== undefined) {
    const inRegion = candidates.filter((o) => o.region === req.region);
    if (inRegion.length === 0) {
      const regions = uniqueSorted(candidates.map((o) => o.region));
      throw new InvalidInputError(
        `region "${req.region}" is not offered${req.provider ? ` by ${req.provider}` : ''}${req.market === 'spot' ? ' for spot' : ''}: use one of ${regions.join(', ') || '(none)'}`,
        { field: 'region' },
      );
    }
    candidates = inRegion;
  }
  if (req.zone !== undefined) candidates = candidates.filter((o) => o.zone === null || o.zone === req.zone);

  let why: string;
  if (req.flavor !== undefined) {
    const named = candidates.filter((o) => o.flavor === req.flavor);
    if (named.length === 0) {
      const flavors = uniqueSorted(candidates.map((o) => o.flavor));
      const shown = flavors.slice(0, 20).join(', ') + (flavors.length > 20 ? `, … (${flavors.length} in all; see GET /v1/flavors)` : '');
      throw new InvalidInputError(
        `flavor "${req.flavor}" is not offered${req.provider ? ` by ${req.provider}` : ''}${req.region ? ` in ${req.region}` : ''}: use one of ${shown || '(none)'}, or give requirements ({vcpus, memoryGiB}) instead`,
        { field: 'flavor' },
      );
    }
    candidates = named;
    why = `flavor ${req.flavor} as requested`;
  } else {
    const r = req.requirements!;
    const fits = candidates.filter(
      (o) => o.vcpus >= r.vcpus && o.memoryGiB >= r.memoryGiB && o.gpus >= (r.gpus ?? 0) && (r.arch === undefined || o.arch === r.arch),
    );
    if (fits.length === 0) {
      throw new UnsatisfiableError(
        `no ${req.market} offer${req.provider ? ` of ${req.provider}` : ''}${req.region ? ` in ${req.region}` : ''} has at least ${r.vcpus} vCPU, ${r.memoryGiB} GiB` +
          `${r.gpus ? ` and ${r.gpus} GPU` : ''}${r.arch ? ` on ${r.arch}` : ''}: lower the requirements, or allow more providers or regions`,
        { requirements: r },
      );
    }
    candidates = fits;
    why = `cheapest ${req.market} offer with at least ${r.vcpus} vCPU and ${r.memoryGiB} GiB`;
  }

  const withRoom = candidates.filter((o) => o.available === null || o.available > 0);
  if (withRoom.length === 0) {
    throw new UnsatisfiableError(
      `every matching offer is out of capacity (${candidates.slice(0, 3).map(describe).join('; ')}): try another region or provider, or later`,
    );
  }
  // Cheapest first; ties go to the smaller machine, then a stable name order so the choice is repeatable.
  withRoom.sort(
    (a, b) =>
      a.priceMicrosPerHour - b.priceMicrosPerHour ||
      a.vcpus - b.vcpus ||
      a.memoryGiB - b.memoryGiB ||
      `${a.provider}/${a.region}/${a.flavor}`.localeCompare(`${b.provider}/${b.region}/${b.flavor}`),
  );
  const chosen = withRoom[0]!;
  const alternatives = withRoom
    .slice(1)
    .filter((o, i, all) => all.findIndex((x) => x.provider === o.provider && x.region === o.region && x.flavor === o.flavor) === i)
    .slice(0, ALTERNATIVES_SHOWN);
  const scope = req.provider ? `${req.provider}` : `${uniqueSorted(withRoom.map((o) => o.provider)).length} provider(s)`;
  return {
    provider: chosen.provider,
    region: chosen.region,
    zone: req.zone ?? chosen.zone,
    flavor: chosen.flavor,
    scheduling: {
      reason: `${why}: ${describe(chosen)}, chosen from ${withRoom.length} matching offer(s) across ${scope}`,
      priceMicrosPerHour: chosen.priceMicrosPerHour,
      alternatives: alternatives.map((o) => ({
        provider: o.provider,
        region: o.region,
        flavor: o.flavor,
        priceMicrosPerHour: o.priceMicrosPerHour,
      })),
    },
  };
}
