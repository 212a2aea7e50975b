import { ConflictError, UnsatisfiableError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Instance, InstanceCreate } from '../core/instance.js';
import { formatUsd } from '../core/money.js';
import { setCondition } from '../core/resource.js';
import type { Placement as InstancePlacement } from '../compute/resolve-placement.js';
import type { ReconcileResult, Reconciler } from '../runtime/controller-runner.js';
import type { EventInput, Store } from '../store/store.js';
import {
  DEPLOYMENT_KIND,
  DEPLOYMENT_LABEL,
  TEMPLATE_LABEL,
  rolloutLimits,
  type Deployment,
  type DeploymentPlacement,
  type DeploymentSpec,
  type DeploymentStatus,
  type RegionBackoff,
  type ReplicaFailure,
} from './deployment.js';
import { backoffScope, placementView, type DeploymentPlan } from './deployment-plan.js';
import { activeBackoff, type DeploymentService } from './deployment-service.js';
import { offerName, type PlacementOffer } from './placement/index.js';
import type { Replica } from './replica.js';
import { judgementOf, replicaOf } from './replica.js';

/** What the deployment controller needs of the compute plane: create an instance where it was placed, delete one. */
export interface InstancePort {
  createAt(req: InstanceCreate, placement: InstancePlacement): Promise<Instance>;
  delete(id: string): Promise<Instance>;
}

export interface DeploymentControllerOptions {
  /** How soon to look again while replicas are on their way. */
  pollMs?: number;
  /** New replicas made per reconcile at most, so one large deployment never holds a worker for long. */
  maxCreatesPerPass?: number;
}

const REFUSALS = new Set(['Capacity', 'Quota']);
/**
 * Failures that mean the template cannot work (the provider refused it as invalid): after this many in one
 * generation, replacing stops. A replica lost with its provider (ProviderNotConfigured) is not one: its
 * replacement is placed on the providers there are.
 */
const TEMPLATE_FAILURES = new Set(['Invalid']);
const TEMPLATE_FAILURE_LIMIT = 3;
const FAILURES_KEPT = 20;
const CREATE_PARALLELISM = 32;
/** Instance names are the deployment's name and a random suffix, within the 63-character name limit. */
const SUFFIX_LENGTH = 5;

/**
 * DKOS's deployment controller: keeps each deployment at its replicas on the optimiser's placement. It creates
 * and deletes Instance resources (the compute controller makes them real), replaces failed and lost replicas,
 * re-places a replica an offer refused and avoids that region for `backoffSeconds` (SkyPilot's eager failover),
 * and rolls a template change out within maxSurge / maxUnavailable.
 */
export class DeploymentController implements Reconciler {
  readonly kind = DEPLOYMENT_KIND;
  private readonly pollMs: number;
  private readonly maxCreates: number;

  constructor(
    private readonly store: Store,
    private readonly deployments: DeploymentService,
    private readonly instances: InstancePort,
    opts: DeploymentControllerOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 1_000;
    this.maxCreates = opts.maxCreatesPerPass ?? 1_000;
  }

  async reconcile(id: string): Promise<ReconcileResult | void> {
    const d = await this.store.get<DeploymentSpec, DeploymentStatus>(DEPLOYMENT_KIND, id);
    if (!d || d.status.phase === 'Deleted') return;
    const owned = await this.deployments.replicasOf(d);
    if (d.deletedAt !== null) return this.reconcileDelete(d, owned);

    const now = Date.now();
    const nowIso = new Date(now).toISOString();
    const judgement = judgementOf(d.spec, now);
    const replicas = owned.map((i) => replicaOf(i, judgement));
    const events: EventInput[] = [];

    // 1. Offers that refused a replica are avoided for a while: the plan below places around them. Capacity is
    //    a flavor's (another may have room), quota the region's.
    const backoff = activeBackoff(d.status, now);
    for (const r of replicas) {
      const refusal = r.deleting ? null : (r.refused ?? (r.failure && REFUSALS.has(r.failure.reason) ? { errorClass: r.failure.reason, message: r.failure.message } : null));
      if (!refusal || backoff.some((b) => b.provider === r.provider && b.region === r.region && (b.flavor === null || b.flavor === r.flavor))) continue;
      const until = new Date(now + d.spec.placement.backoffSeconds * 1000).toISOString();
      const entry = { provider: r.provider, region: r.region, flavor: refusal.errorClass === 'Capacity' ? r.flavor : null, reason: refusal.errorClass, message: refusal.message, since: nowIso, until };
      backoff.push(entry);
      events.push({ type: 'Backoff', reason: refusal.errorClass, message: `${backoffScope(entry)} refused ${r.name} (${refusal.message}); avoided until ${until}` });
    }

    // 2. Where every replica should be.
    let plan: DeploymentPlan;
    try {
      plan = await this.deployments.planFor(d.project, d.spec, owned, backoff, d.status.observedGeneration === d.generation);
    } catch (e) {
      if (!(e instanceof UnsatisfiableError)) throw e;
      await this.writeStatus(d, replicas, null, backoff, [], events, { placementError: e.message });
      // A backed-off region comes back when its period ends: look again then (or sooner, if something changes).
      const soonest = Math.min(...backoff.map((b) => Date.parse(b.until) - now), 60_000);
      return { requeueAfterMs: Math.max(this.pollMs, soonest) };
    }

    // 3. Broken replicas go at once; their replacements are among the plan's creates.
    const failures: ReplicaFailure[] = [];
    for (const r of plan.broken) {
      const change = plan.changes.find((c) => c.instanceId === r.id);
      const action = change?.to ? `replaced on ${change.to.provider}/${change.to.region}/${change.to.flavor}` : 'deleted';
      const why = r.failure ?? { reason: r.refused!.errorClass, message: r.refused!.message };
      failures.push({ replica: r.name, instanceId: r.id, provider: r.provider, region: r.region, flavor: r.flavor, reason: why.reason, message: why.message, action, at: nowIso, generation: d.generation });
      events.push({ type: 'ReplicaFailed', reason: why.reason, message: `${r.name} on ${r.provider}/${r.region}/${r.flavor}: ${why.message}; ${action}` });
      await this.instances.delete(r.id);
    }

    // 4. Within the rollout limits: create, then remove what the new replicas take over from.
    const { maxSurge, maxUnavailable } = rolloutLimits(d.spec);
    const healthy = replicas.filter((r) => !r.deleting && r.failure === null && r.refused === null);
    const templateBroken = [...d.status.recentFailures, ...failures].filter((f) => f.generation === d.generation && TEMPLATE_FAILURES.has(f.reason)).length >= TEMPLATE_FAILURE_LIMIT;
    const room = Math.max(0, d.spec.replicas + maxSurge - healthy.length);
    const toCreate = templateBroken ? [] : interleaveByProvider(plan.creates).slice(0, Math.min(room, this.maxCreates));
    // Several at a time: each is a short write of its own, and the store's round trips, not CPU, bound them.
    const created: Instance[] = [];
    for (let i = 0; i < toCreate.length; i += CREATE_PARALLELISM) {
      created.push(...(await Promise.all(toCreate.slice(i, i + CREATE_PARALLELISM).map((offer) => this.createReplica(d, plan, offer)))));
    }
    if (created.length > 0) {
      events.push({ type: 'ReplicasCreated', reason: 'Placed', message: `created ${created.length}: ${summarise(created)}` });
    }

    const removed: Replica[] = [];
    if (plan.creates.length === 0) removed.push(...plan.outgoing); // scale down: nothing to wait for
    else {
      removed.push(...plan.outgoing.filter((r) => !r.ready)); // removing what is not ready costs no availability
      const ready = healthy.filter((r) => r.ready).length;
      const spare = Math.max(0, ready - (d.spec.replicas - maxUnavailable));
      // Old-template replicas first: they are what the rollout replaces.
      const readyOut = plan.outgoing.filter((r) => r.ready).sort((a, b) => Number(a.templateHash === plan.templateHash) - Number(b.templateHash === plan.templateHash));
      removed.push(...readyOut.slice(0, spare));
    }
    for (const r of removed) await this.instances.delete(r.id);
    if (removed.length > 0) {
      events.push({ type: 'ReplicasDeleted', reason: plan.creates.length === 0 ? 'ScaledDown' : 'RolledOver', message: `deleting ${removed.map((r) => r.name).join(', ')}` });
    }

    const status = await this.writeStatus(d, replicas, plan, backoff, failures, events, { created, removed, templateBroken });
    if (status.status.phase !== 'Available') return { requeueAfterMs: this.pollMs };
    // Settled: look again when the first backoff ends (to lift it), or when a replica changes.
    if (backoff.length > 0) return { requeueAfterMs: Math.max(this.pollMs, Math.min(...backoff.map((b) => Date.parse(b.until))) - Date.now()) };
    return;
  }

  private async createReplica(d: Deployment, plan: DeploymentPlan, offer: PlacementOffer): Promise<Instance> {
    const t = d.spec.template;
    const base = d.name.slice(0, 63 - SUFFIX_LENGTH - 1).replace(/-+$/, '');
    const explanation = plan.placement!.explanation;
    const placement: InstancePlacement = {
      provider: offer.provider,
      region: offer.region,
      zone: offer.zone,
      flavor: offer.flavor,
      scheduling: {
        reason: `deployment ${d.name}: ${explanation.objective} placement (${explanation.method}) of ${d.spec.replicas} replica(s) at $${formatUsd(plan.hourlyAfterMicros)}/h in all; this one on ${offerName(offer)} at $${formatUsd(offer.priceMicrosPerHour)}/h`,
        priceMicrosPerHour: offer.priceMicrosPerHour,
        alternatives: explanation.rejectedAlternatives.slice(0, 3).map((a) => ({ provider: a.offer.provider, region: a.offer.region, flavor: a.offer.flavor, priceMicrosPerHour: a.priceMicrosPerHour })),
      },
    };
    for (let attempt = 0; ; attempt++) {
      const req: InstanceCreate = {
        name: `${base}-${newId('x', SUFFIX_LENGTH).slice(2)}`,
        project: d.project,
        labels: { ...t.labels, [DEPLOYMENT_LABEL]: d.name, [TEMPLATE_LABEL]: plan.templateHash },
        provider: offer.provider,
        region: offer.region,
        flavor: offer.flavor,
        requirements: t.requirements,
        image: t.image,
        market: offer.market,
        userData: t.userData,
        powerState: 'on',
        driftPolicy: 'report',
      };
      try {
        return await this.instances.createAt(req, placement);
      } catch (e) {
        // A random suffix taken already (rare): draw another.
        if (!(e instanceof ConflictError) || attempt >= 5) throw e;
      }
    }
  }

  private async reconcileDelete(d: Deployment, owned: Instance[]): Promise<ReconcileResult | void> {
    const left = owned.map((i) => replicaOf(i, judgementOf(d.spec)));
    for (const r of left.filter((x) => !x.deleting)) await this.instances.delete(r.id);
    if (left.length === 0) {
      await this.store.update<DeploymentSpec, DeploymentStatus>(
        DEPLOYMENT_KIND,
        d.id,
        (cur) => ({ ...cur, status: { ...cur.status, phase: 'Deleted', replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0 } }),
        { event: () => ({ type: 'Deleted', reason: 'Requested', message: 'every replica is gone' }) },
      );
      return;
    }
    return { requeueAfterMs: this.pollMs };
  }

  private async writeStatus(
    d: Deployment,
    before: Replica[],
    plan: DeploymentPlan | null,
    backoff: RegionBackoff[],
    failures: ReplicaFailure[],
    events: EventInput[],
    outcome: { created?: Instance[]; removed?: Replica[]; placementError?: string; templateBroken?: boolean },
  ): Promise<Deployment> {
    const nowIso = this.store.nowIso();
    const gone = new Set([...(outcome.removed ?? []), ...(plan?.broken ?? [])].map((r) => r.id));
    const live = before.filter((r) => !r.deleting && !gone.has(r.id) && r.failure === null);
    const hash = plan?.templateHash ?? d.status.templateHash;
    const created = outcome.created?.length ?? 0;
    const ready = live.filter((r) => r.ready);
    const updated = live.filter((r) => r.templateHash === hash).length + created;
    // Under OnDelete older replicas are not waiting for replacement: every ready one counts as done.
    const readyUpdated = d.spec.strategy.type === 'OnDelete' ? ready.length : ready.filter((r) => r.templateHash === hash).length;
    const { maxUnavailable } = rolloutLimits(d.spec);
    const want = d.spec.replicas;
    const complete = !outcome.placementError && created === 0 && live.length === want && readyUpdated === want;
    const available = ready.length >= want - maxUnavailable;

    let conditions = d.status.conditions;
    conditions = setCondition(
      conditions,
      available
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: `${ready.length} of ${want} replica(s) ready` }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: `${ready.length} of ${want} replica(s) ready; at least ${want - maxUnavailable} needed` },
      nowIso,
    );
    const progressing = outcome.placementError
      ? { type: 'Progressing', status: 'False' as const, reason: 'PlacementFailed', message: outcome.placementError }
      : outcome.templateBroken
        ? { type: 'Progressing', status: 'False' as const, reason: 'TemplateFailing', message: `${TEMPLATE_FAILURE_LIMIT} replicas of this template failed as invalid; fix the template and apply it again` }
        : complete
          ? { type: 'Progressing', status: 'True' as const, reason: 'NewReplicasAvailable', message: `${want} replica(s) of template ${hash} ready` }
          : { type: 'Progressing', status: 'True' as const, reason: 'ReplicasUpdating', message: `${readyUpdated} of ${want} replica(s) of template ${hash} ready; ${live.length + created} exist` };
    conditions = setCondition(conditions, progressing, nowIso);
    const latest = failures[failures.length - 1];
    if (latest) {
      conditions = setCondition(conditions, { type: 'ReplicaFailure', status: 'True', reason: latest.reason, message: `${latest.replica} on ${latest.provider}/${latest.region}: ${latest.message}; ${latest.action}` }, nowIso);
    } else if (complete && conditions.some((c) => c.type === 'ReplicaFailure' && c.status === 'True')) {
      conditions = setCondition(conditions, { type: 'ReplicaFailure', status: 'False', reason: 'Recovered', message: 'every replica is ready' }, nowIso);
    }
    // Degraded: something is wrong, not merely on its way (a new deployment has no replica ready yet and is Progressing).
    const degraded = outcome.placementError || outcome.templateBroken || (!available && failures.length > 0);
    const phase = complete ? 'Available' : degraded ? 'Degraded' : 'Progressing';
    const status: DeploymentStatus = {
      phase,
      observedGeneration: d.generation,
      replicas: live.length + created,
      updatedReplicas: updated,
      readyReplicas: ready.length,
      availableReplicas: ready.length,
      templateHash: hash,
      placement: plan?.placement ? placementView(plan.placement, nowIso) : d.status.placement,
      backoff,
      recentFailures: [...d.status.recentFailures, ...failures].slice(-FAILURES_KEPT),
      conditions,
    };
    if (phase !== d.status.phase && phase === 'Available') events.push({ type: 'RolloutComplete', reason: 'NewReplicasAvailable', message: `${want} replica(s) ready` });
    if (outcome.placementError && d.status.conditions.find((c) => c.type === 'Progressing')?.message !== outcome.placementError) {
      events.push({ type: 'PlacementFailed', reason: 'Unsatisfiable', message: outcome.placementError });
    }
    return this.store.update<DeploymentSpec, DeploymentStatus>(
      DEPLOYMENT_KIND,
      d.id,
      (cur) => {
        // The placement's decidedAt moves on every pass; it alone is no reason to write.
        const next = { ...status, placement: samePlacement(cur.status.placement, status.placement) ? cur.status.placement : status.placement };
        return JSON.stringify(next) === JSON.stringify(cur.status) && events.length === 0 ? null : { ...cur, status: next };
      },
      { event: () => events },
    );
  }
}

/**
 * New replicas in turn from each provider: the compute controller takes work in the order it was queued, and a run
 * of one provider's creates would wait on that provider's rate limit while the others sit idle.
 */
function interleaveByProvider(offers: readonly PlacementOffer[]): PlacementOffer[] {
  const queues = new Map<string, PlacementOffer[]>();
  for (const o of offers) {
    const q = queues.get(o.provider) ?? [];
    q.push(o);
    queues.set(o.provider, q);
  }
  const out: PlacementOffer[] = [];
  for (let k = 0; out.length < offers.length; k++) for (const q of queues.values()) if (k < q.length) out.push(q[k]!);
  return out;
}

function samePlacement(a: DeploymentPlacement | null, b: DeploymentPlacement | null): boolean {
  return JSON.stringify(a && { ...a, decidedAt: '' }) === JSON.stringify(b && { ...b, decidedAt: '' });
}

function summarise(created: Instance[]): string {
  const byOffer = new Map<string, number>();
  for (const i of created) {
    const k = `${i.spec.provider}/${i.spec.region}/${i.spec.flavor}`;
    byOffer.set(k, (byOffer.get(k) ?? 0) + 1);
  }
  return [...byOffer].map(([k, n]) => `${n} on ${k}`).join(', ');
}
