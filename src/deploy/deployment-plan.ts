import { UnsatisfiableError } from '../core/errors.js';
import type { Market } from '../core/offer.js';
import { usdToMicros, type Micros } from '../core/money.js';
import type { DeploymentPlacement, DeploymentSpec, RegionBackoff } from './deployment.js';
import { offerKey, place, type Placement, type PlacementOffer, type PlacementRequest, type PlaceOptions } from './placement/index.js';
import type { Replica } from './replica.js';
import { templateHash } from './replica.js';

/** Hours in the month a plan's monthly figures assume (365 × 24 / 12, as the clouds' calculators do). */
export const HOURS_PER_MONTH = 730;

export interface Where {
  provider: string;
  region: string;
  flavor: string;
  market: Market;
  priceMicrosPerHour: Micros;
}

export type ChangeAction = 'create' | 'replace' | 'delete' | 'keep';

/** One line of a plan: what happens to one replica, and why. */
export interface PlannedChange {
  action: ChangeAction;
  /** The existing replica (replace, delete, keep); null for a new one. */
  replica: string | null;
  instanceId: string | null;
  reason: string;
  from: Where | null;
  to: Where | null;
}

export interface DeploymentPlan {
  templateHash: string;
  /** The optimiser's answer for the whole deployment (null when it has no replicas). */
  placement: Placement | null;
  changes: PlannedChange[];
  summary: Record<ChangeAction, number>;
  hourlyBeforeMicros: Micros;
  hourlyAfterMicros: Micros;
  monthlyDeltaMicros: Micros;
  /** For the controller: where each new replica goes, replacements first. */
  creates: PlacementOffer[];
  /** For the controller: healthy replicas to remove (surplus or old template), subject to the rollout limits. */
  outgoing: Replica[];
  /** For the controller: replicas that failed or were refused, removed at once. */
  broken: Replica[];
}

/** `aws/us-east-1/m6i.large` for a flavor's back-off, `aws/us-east-1` for a region's. */
export function backoffScope(b: Pick<RegionBackoff, 'provider' | 'region' | 'flavor'>): string {
  return `${b.provider}/${b.region}${b.flavor !== null ? `/${b.flavor}` : ''}`;
}

/** The optimiser's request for a deployment spec, with where its replicas already run and which regions to avoid. */
export function placementRequest(spec: DeploymentSpec, current: ReadonlyMap<string, number>, backoff: readonly RegionBackoff[]): PlacementRequest {
  const p = spec.placement;
  const t = spec.template;
  return {
    replicas: spec.replicas,
    shape: t.flavor !== undefined ? { flavor: t.flavor } : { requirements: t.requirements! },
    objective: p.objective,
    spreadBy: p.spreadBy,
    current,
    constraints: {
      allowedProviders: p.providers?.allow,
      deniedProviders: p.providers?.deny,
      allowedRegions: p.regions?.allow,
      deniedRegions: p.regions?.deny,
      allowedKinds: p.kinds,
      requiredLabels: p.labels,
      spot: p.spot,
      maxHourlyMicros: p.maxHourlyUsd === undefined ? undefined : usdToMicros(p.maxHourlyUsd),
      minProviders: p.minProviders,
      maxPerProvider: p.maxPerProvider,
      quota: p.quota,
      preferPrivate: p.preferPrivate,
      avoid: backoff.map((b) => ({
        provider: b.provider,
        region: b.region,
        ...(b.flavor !== null && { flavor: b.flavor }),
        reason: `backing off ${backoffScope(b)} until ${b.until} (${b.reason})`,
      })),
    },
  };
}

async function placeAll(
  spec: DeploymentSpec,
  current: ReadonlyMap<string, number>,
  input: { offers: readonly PlacementOffer[]; backoff: readonly RegionBackoff[]; keepRunning?: boolean; options?: PlaceOptions },
): Promise<Placement> {
  const request = placementRequest(spec, current, input.backoff);
  const running = [...current.values()].reduce((a, b) => a + b, 0);
  if (input.keepRunning && running > 0 && running <= spec.replicas) {
    try {
      return await place({ ...request, keepCurrent: true }, input.offers, input.options);
    } catch (e) {
      if (!(e instanceof UnsatisfiableError)) throw e;
    }
  }
  return place(request, input.offers, input.options);
}

/**
 * What it takes to go from the replicas there are to the spec: the optimiser places every replica (preferring
 * to leave running ones where they are), then each replica is kept, replaced or deleted and new ones created.
 * The same function answers `tessera plan` and drives the controller, so a plan shows what apply will do.
 */
export async function planDeployment(input: {
  spec: DeploymentSpec;
  replicas: readonly Replica[];
  offers: readonly PlacementOffer[];
  backoff: readonly RegionBackoff[];
  /**
   * The spec is the one already acted on: keep healthy replicas where they run and place only what is missing,
   * so a lost replica never moves the others (falls back to a full re-plan when that is unsatisfiable).
   */
  keepRunning?: boolean;
  options?: PlaceOptions;
}): Promise<DeploymentPlan> {
  const { spec } = input;
  const hash = templateHash(spec.template);
  const live = input.replicas.filter((r) => !r.deleting);
  const broken = live.filter((r) => r.failure !== null || r.refused !== null);
  const healthy = live.filter((r) => r.failure === null && r.refused === null);
  // Under OnDelete a replica of an older template is as good as a new one: a template change alone replaces nothing.
  const onDelete = spec.strategy.type === 'OnDelete';
  const upToDate = (r: Replica) => onDelete || r.templateHash === hash;
  const current = new Map<string, number>();
  for (const r of healthy) if (upToDate(r)) current.set(r.offer, (current.get(r.offer) ?? 0) + 1);

  const placement = spec.replicas === 0 ? null : await placeAll(spec, current, input);

  // Keep, per target offer, as many current-template replicas as it takes there: the ready ones first.
  const kept = new Set<Replica>();
  const newReplicas: PlacementOffer[] = [];
  for (const a of placement?.assignments ?? []) {
    const here = healthy.filter((r) => upToDate(r) && r.offer === offerKey(a.offer)).sort((x, y) => Number(y.ready) - Number(x.ready));
    here.slice(0, a.count).forEach((r) => kept.add(r));
    for (let k = Math.min(here.length, a.count); k < a.count; k++) newReplicas.push({ ...a.offer, priceMicrosPerHour: a.priceMicrosPerHour });
  }
  const outgoing = healthy.filter((r) => !kept.has(r));

  const priceNow = new Map(input.offers.map((o) => [offerKey(o), o.priceMicrosPerHour]));
  const whereIs = (r: Replica): Where => ({
    provider: r.provider,
    region: r.region,
    flavor: r.flavor,
    market: r.market,
    priceMicrosPerHour: priceNow.get(r.offer) ?? r.priceMicrosPerHour ?? 0,
  });
  const whereTo = (o: PlacementOffer): Where => ({ provider: o.provider, region: o.region, flavor: o.flavor, market: o.market, priceMicrosPerHour: o.priceMicrosPerHour });

  // Pair each replica going away with a new one (on the same offer when there is one) so the plan reads as replacements.
  const unpaired = [...newReplicas];
  const takeCreate = (r: Replica): PlacementOffer | null => {
    if (unpaired.length === 0) return null;
    const same = unpaired.findIndex((o) => offerKey(o) === r.offer);
    return unpaired.splice(same >= 0 ? same : 0, 1)[0]!;
  };
  const creates: PlacementOffer[] = [];
  const changes: PlannedChange[] = [];
  const leaving: [Replica, string][] = [
    ...broken.map((r): [Replica, string] => [r, r.failure ? `failed: ${r.failure.reason}` : `refused by ${r.provider}/${r.region}: ${r.refused!.errorClass}`]),
    ...outgoing.map((r): [Replica, string] => [r, upToDate(r) ? 'placement changed' : 'template changed']),
  ];
  for (const [r, why] of leaving) {
    const to = takeCreate(r);
    if (to) creates.push(to);
    changes.push({
      action: to ? 'replace' : 'delete',
      replica: r.name,
      instanceId: r.id,
      reason: to ? why : why === 'placement changed' ? 'scale down' : why,
      from: whereIs(r),
      to: to ? whereTo(to) : null,
    });
  }
  for (const o of unpaired) {
    creates.push(o);
    changes.push({ action: 'create', replica: null, instanceId: null, reason: 'scale up', from: null, to: whereTo(o) });
  }
  for (const r of kept) changes.push({ action: 'keep', replica: r.name, instanceId: r.id, reason: 'unchanged', from: whereIs(r), to: whereIs(r) });

  const summary: Record<ChangeAction, number> = { create: 0, replace: 0, delete: 0, keep: 0 };
  for (const c of changes) summary[c.action]++;
  const hourlyBeforeMicros = healthy.reduce((sum, r) => sum + whereIs(r).priceMicrosPerHour, 0);
  const hourlyAfterMicros = placement?.totalMicrosPerHour ?? 0;
  return {
    templateHash: hash,
    placement,
    changes,
    summary,
    hourlyBeforeMicros,
    hourlyAfterMicros,
    monthlyDeltaMicros: (hourlyAfterMicros - hourlyBeforeMicros) * HOURS_PER_MONTH,
    creates,
    outgoing,
    broken,
  };
}

/** The optimiser's answer as a deployment's status (and a plan) shows it. */
export function placementView(p: Placement, decidedAt: string): DeploymentPlacement {
  return {
    offers: p.assignments.map((a) => ({ provider: a.offer.provider, region: a.offer.region, flavor: a.offer.flavor, market: a.offer.market, replicas: a.count, priceMicrosPerHour: a.priceMicrosPerHour })),
    totalMicrosPerHour: p.totalMicrosPerHour,
    method: p.explanation.method,
    objective: p.explanation.objective,
    rejectedAlternatives: p.explanation.rejectedAlternatives.map((r) => ({
      provider: r.offer.provider,
      region: r.offer.region,
      flavor: r.offer.flavor,
      market: r.offer.market,
      priceMicrosPerHour: r.priceMicrosPerHour,
      reason: r.reason,
    })),
    rejectedCounts: p.explanation.rejectedCounts,
    decidedAt,
  };
}
