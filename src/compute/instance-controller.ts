import { setCondition, removeCondition } from '../core/resource.js';
import { INSTANCE_KIND, type Instance, type InstanceSpec, type InstanceStatus, type Phase, type PlacementFailure } from '../core/instance.js';
import { formatUsd } from '../core/money.js';
import { ProviderError, type Driver, type InstanceRef, type ObservedInstance } from '../providers/driver.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ReconcileResult, Reconciler } from '../runtime/controller-runner.js';
import type { EventInput, Store } from '../store/store.js';
import type { OfferCatalog } from './offer-catalog.js';
import { describeFailures, nextPlacement } from './replacement.js';

export interface InstanceControllerOptions {
  /** How soon to look again at a machine that is still booting, stopping or being deleted. */
  pollMs?: number;
  /** Capacity or quota errors are retried this many times (capacity may free up) before the instance fails. */
  maxPlacementAttempts?: number;
  /**
   * The offers to re-place from: with it, an instance placed from requirements that meets a capacity or quota
   * error moves to the next-cheapest offer at once instead of waiting for room where it was.
   */
  catalog?: OfferCatalog;
  /** Opens sealed user data (src/runtime/sealed-text.ts) just before it goes to the provider. */
  openUserData?: (userData: string) => string;
}

/** The idempotency token of one create attempt: deterministic, so a crash can never lose it. */
export function createToken(instanceId: string, attempt: number): string {
  return `tsr-${instanceId}-${attempt}`;
}

const PHASE_OF_STATE: Record<ObservedInstance['state'], Phase | null> = {
  pending: 'Provisioning',
  running: 'Running',
  stopping: null,
  stopped: 'Stopped',
  terminating: null,
  terminated: null,
};

/**
 * KRANE's instance controller. Observe before create: the token of the current attempt is written to the store
 * before the provider is asked, and the provider is asked for that token before anything is created — so a
 * crash between "create sent" and "create recorded" finds the first machine instead of making a second.
 */
export class InstanceController implements Reconciler {
  readonly kind = INSTANCE_KIND;
  private readonly pollMs: number;
  private readonly maxPlacementAttempts: number;
  private readonly catalog: OfferCatalog | null;
  private readonly openUserData: (userData: string) => string;

  constructor(
    private readonly store: Store,
    private readonly providers: ProviderRegistry,
    opts: InstanceControllerOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 1_000;
    this.maxPlacementAttempts = opts.maxPlacementAttempts ?? 4;
    this.catalog = opts.catalog ?? null;
    this.openUserData = opts.openUserData ?? ((u) => u);
  }

  async reconcile(id: string, attempt: number): Promise<ReconcileResult | void> {
    const inst = await this.store.get<InstanceSpec, InstanceStatus>(INSTANCE_KIND, id);
    if (!inst || inst.status.phase === 'Deleted') return;
    if (!inst.spec.managed && inst.deletedAt === null) return; // discovered: observed by discovery, never acted on
    const driver = this.providers.get(inst.spec.provider);
    if (!driver) {
      await this.fail(inst, 'ProviderNotConfigured', `provider "${inst.spec.provider}" is not configured in this Tessera; add it to tessera.yaml`);
      return;
    }
    try {
      if (inst.deletedAt !== null) return await this.reconcileDelete(inst, driver);
      if (inst.status.phase === 'Failed' && inst.status.observedGeneration === inst.generation) return;
      return await this.reconcileLive(inst, driver);
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      if ((e.errorClass === 'Capacity' || e.errorClass === 'Quota') && (await this.replace(inst, driver, e))) return { requeueAfterMs: 0 };
      return this.onProviderError(inst, e, attempt);
    }
  }

  private async reconcileLive(inst: Instance, driver: Driver): Promise<ReconcileResult | void> {
    // 1. Make the token durable before anything can reach the provider. A token written just now cannot have
    //    been sent yet, so the observe by token below is skipped for it: one provider call per first create.
    //    An adopted machine has a provider id and no token: nothing to create, nothing to write.
    const tokenIsNew = inst.status.createToken === null && inst.status.externalId === null;
    if (tokenIsNew) {
      inst = await this.writeStatus(
        inst,
        (s) => ({ ...s, createToken: createToken(inst.id, s.createAttempt), phase: 'Provisioning' }),
        { type: 'PhaseChanged', reason: 'Provisioning', message: `Pending → Provisioning (creating at ${inst.spec.provider})` },
      );
    }
    // 2. Observe: by provider id once known, else by the token (finds a create whose answer was lost).
    const ref: InstanceRef = { region: inst.spec.region, externalId: inst.status.externalId, token: inst.status.createToken };
    let observed = tokenIsNew
      ? null
      : await driver.observe(inst.status.externalId ? { region: ref.region, externalId: ref.externalId } : { region: ref.region, token: ref.token });
    if (observed?.state === 'terminated') observed = null;

    if (!observed) {
      if (inst.status.externalId !== null) return this.onMissing(inst);
      // 3. Nothing at the provider for this token: create (idempotent under the same token anyway).
      let userData: string | null;
      try {
        userData = inst.spec.userData === null ? null : this.openUserData(inst.spec.userData);
      } catch {
        await this.fail(inst, 'Invalid', 'the user data is sealed under another secret key than this server\'s (or was altered): give it in the clear, or seal it with this server');
        return;
      }
      observed = await driver.create(
        {
          tesseraId: inst.id,
          name: inst.name,
          region: inst.spec.region,
          zone: inst.spec.zone,
          flavor: inst.spec.flavor,
          image: inst.spec.image,
          market: inst.spec.market,
          userData,
          labels: inst.labels,
          powerOn: inst.spec.powerState === 'on',
        },
        inst.status.createToken!,
      );
    }

    // 4. Drift: something changed outside Tessera since we last converged.
    const drift = this.driftOf(inst, observed) ?? this.heldDrift(inst, observed);
    if (drift) {
      if (inst.spec.driftPolicy === 'report') {
        await this.record(inst, observed, { drift, driftAction: 'report' });
        return;
      }
      if (drift.reason === 'FlavorChangedOutside' || drift.reason === 'ImageChangedOutside') {
        // Recreate: remove the changed machine, then start a new create attempt with a fresh token.
        await driver.delete({ region: inst.spec.region, externalId: observed.externalId });
        await this.startNewAttempt(inst, drift);
        return { requeueAfterMs: 0 };
      }
      // Power changed outside: re-assert the desired power state below, and say so.
      inst = await this.record(inst, observed, { drift, driftAction: 'restore' });
    }

    // 5. Converge power and reboots.
    const wantOn = inst.spec.powerState === 'on';
    const externalRef = { region: inst.spec.region, externalId: observed.externalId };
    let rebooted = false;
    if (wantOn && observed.state === 'stopped') await driver.power(externalRef, 'on');
    else if (!wantOn && observed.state === 'running') await driver.power(externalRef, 'off');
    else if (wantOn && observed.state === 'running' && inst.status.observedReboots < inst.spec.reboots) {
      await driver.power(externalRef, 'reboot');
      rebooted = true;
    }
    const acted = (wantOn && observed.state === 'stopped') || (!wantOn && observed.state === 'running');
    const updated = await this.record(inst, observed, { rebooted });
    if (acted || PHASE_OF_STATE[observed.state] !== updated.status.phase || observed.state === 'pending') {
      return { requeueAfterMs: this.pollMs };
    }
    return;
  }

  private driftOf(inst: Instance, observed: ObservedInstance): { reason: string; message: string } | null {
    // Only a converged instance can drift: before that, differences are ours still being made.
    const converged = inst.status.observedGeneration === inst.generation && (inst.status.phase === 'Running' || inst.status.phase === 'Stopped');
    if (!converged || inst.status.externalId === null) return null;
    if (observed.flavor !== inst.spec.flavor) {
      return { reason: 'FlavorChangedOutside', message: `flavor is ${observed.flavor} at ${inst.spec.provider}, ${inst.spec.flavor} in Tessera` };
    }
    if (observed.image !== inst.spec.image) {
      return { reason: 'ImageChangedOutside', message: `image is ${observed.image} at ${inst.spec.provider}, ${inst.spec.image} in Tessera` };
    }
    const want = inst.spec.powerState === 'on' ? 'running' : 'stopped';
    const was = inst.status.phase === 'Running' ? 'running' : 'stopped';
    if ((observed.state === 'running' || observed.state === 'stopped') && observed.state !== want && was === want) {
      return { reason: 'PowerChangedOutside', message: `machine was ${observed.state === 'running' ? 'started' : 'stopped'} outside Tessera` };
    }
    return null;
  }

  /**
   * A drift already reported stays reported (and untouched) until the machine matches the spec again or a
   * person changes the spec: "report" means Tessera does not undo it on the next look.
   */
  private heldDrift(inst: Instance, observed: ObservedInstance): { reason: string; message: string } | null {
    const reported = inst.status.conditions.find((c) => c.type === 'Drifted' && c.status === 'True');
    if (!reported || inst.spec.driftPolicy !== 'report' || inst.status.observedGeneration !== inst.generation) return null;
    const want = inst.spec.powerState === 'on' ? 'running' : 'stopped';
    const matches = observed.flavor === inst.spec.flavor && observed.image === inst.spec.image && (observed.state === want || observed.state === 'pending');
    return matches ? null : { reason: reported.reason, message: reported.message };
  }

  /** The provider no longer has a machine Tessera made: deleted outside Tessera. */
  private async onMissing(inst: Instance): Promise<ReconcileResult | void> {
    const drift = { reason: 'DeletedOutside', message: `machine ${inst.status.externalId} no longer exists at ${inst.spec.provider}` };
    if (inst.spec.driftPolicy === 'recreate') {
      await this.startNewAttempt(inst, drift);
      return { requeueAfterMs: 0 };
    }
    await this.writeStatus(
      inst,
      (s) => ({
        ...s,
        phase: 'Failed',
        reason: drift.reason,
        message: `${drift.message}; driftPolicy is "report", so it is left for a person (delete it, or set driftPolicy: recreate)`,
        conditions: setCondition(s.conditions, { type: 'Drifted', status: 'True', ...drift }, this.store.nowIso()),
        observedGeneration: inst.generation,
      }),
      { type: 'Drifted', reason: drift.reason, message: drift.message },
    );
  }

  private async startNewAttempt(inst: Instance, drift: { reason: string; message: string }): Promise<void> {
    await this.writeStatus(
      inst,
      (s) => ({
        ...s,
        phase: 'Provisioning',
        externalId: null,
        addresses: [],
        createAttempt: s.createAttempt + 1,
        createToken: createToken(inst.id, s.createAttempt + 1),
        conditions: setCondition(s.conditions, { type: 'Drifted', status: 'True', ...drift }, this.store.nowIso()),
      }),
      { type: 'Drifted', reason: drift.reason, message: `${drift.message}; recreating (driftPolicy: recreate)` },
    );
  }

  private async reconcileDelete(inst: Instance, driver: Driver): Promise<ReconcileResult | void> {
    // Something may exist at the provider once a create token was written (made by Tessera) or a provider id is
    // known (adopted); otherwise nothing was ever sent and the record can go at once.
    if (inst.status.createToken !== null || inst.status.externalId !== null) {
      const ref = inst.status.externalId
        ? { region: inst.spec.region, externalId: inst.status.externalId }
        : { region: inst.spec.region, token: inst.status.createToken };
      const observed = inst.spec.managed ? await driver.observe(ref) : null;
      if (observed && observed.state !== 'terminated') {
        if (observed.state !== 'terminating') await driver.delete({ region: inst.spec.region, externalId: observed.externalId });
        if (inst.status.phase !== 'Deleting') await this.writeStatus(inst, (s) => ({ ...s, phase: 'Deleting' }));
        return { requeueAfterMs: this.pollMs };
      }
    }
    await this.writeStatus(inst, (s) => ({ ...s, phase: 'Deleted', addresses: [], reason: null, message: null }), {
      type: 'PhaseChanged',
      reason: 'Deleted',
      message: inst.spec.managed ? `removed from ${inst.spec.provider}` : 'forgotten (the machine was not managed by Tessera)',
    });
  }

  /**
   * Moves an instance that an offer refused to the next-cheapest offer within its constraints, and says why in
   * its events. False when it cannot move (a named flavor, a machine already made, nowhere left to go).
   */
  private async replace(inst: Instance, driver: Driver, e: ProviderError): Promise<boolean> {
    if (!this.catalog || !inst.spec.constraints || inst.status.externalId !== null || inst.deletedAt !== null) return false;
    const now = this.store.nowIso();
    const failure: PlacementFailure = {
      provider: inst.spec.provider,
      region: inst.spec.region,
      flavor: inst.spec.flavor,
      errorClass: e.errorClass,
      code: e.providerCode ?? null,
      message: e.message,
      at: now,
    };
    const failures = [...(inst.status.placementFailures ?? []), failure];
    const catalog = this.catalog;
    const offers = await catalog.all();
    const providers = [...new Set(offers.map((o) => o.provider))];
    const images = new Map(await Promise.all(providers.map(async (p) => [p, await catalog.imageNames(p)] as const)));
    const next = nextPlacement(inst, failures, offers, this.providers.names(), (p) => images.get(p) ?? null);
    if (!next) return false;

    // Nothing may stay behind at the offer that refused: a create that failed late could have left a machine.
    // (`inst` may be from before the token was written: the token is derived from the attempt, which did not change.)
    const left = await driver.observe({ region: inst.spec.region, token: createToken(inst.id, inst.status.createAttempt) });
    if (left && left.state !== 'terminated' && left.state !== 'terminating') await driver.delete({ region: inst.spec.region, externalId: left.externalId });
    const from = `${failure.provider}/${failure.region}/${failure.flavor}`;
    const to = `${next.provider}/${next.region}/${next.flavor}`;
    const message =
      `${from} refused it (${e.errorClass}${failure.code ? `, ${failure.code}` : ''}: ${e.message}); ` +
      `re-placed on ${to} at $${formatUsd(next.scheduling.priceMicrosPerHour)}/h, the cheapest matching offer outside the regions that refused it (${describeFailures(failures)})`;
    await this.store.update<InstanceSpec, InstanceStatus>(
      INSTANCE_KIND,
      inst.id,
      (current) => {
        // Moved or made meanwhile (another process, a person): leave it to the next reconcile.
        const same = current.spec.provider === inst.spec.provider && current.spec.region === inst.spec.region && current.spec.flavor === inst.spec.flavor;
        if (current.status.externalId !== null || !same) return null;
        const attempt = current.status.createAttempt + 1;
        return {
          ...current,
          spec: { ...current.spec, provider: next.provider, region: next.region, zone: next.zone, flavor: next.flavor },
          status: {
            ...current.status,
            phase: 'Provisioning',
            createAttempt: attempt,
            createToken: createToken(inst.id, attempt),
            placementFailures: failures,
            scheduling: { ...next.scheduling, reason: `re-placed after ${from} refused it: ${next.scheduling.reason}` },
            conditions: setCondition(current.status.conditions, { type: 'Replaced', status: 'True', reason: e.errorClass, message }, now),
          },
        };
      },
      { event: () => ({ type: 'Replaced', reason: e.errorClass, message }) },
    );
    return true;
  }

  private async onProviderError(inst: Instance, e: ProviderError, attempt: number): Promise<ReconcileResult | void> {
    const now = this.store.nowIso();
    const permanent = e.errorClass === 'Invalid' || ((e.errorClass === 'Capacity' || e.errorClass === 'Quota') && attempt + 1 >= this.maxPlacementAttempts);
    if (permanent && inst.deletedAt === null && inst.status.externalId === null) {
      const refused = inst.status.placementFailures ?? [];
      const advice =
        e.errorClass === 'Invalid'
          ? 'fix the instance spec and create it again'
          : `${refused.length > 0 ? `no matching offer is left (refused before: ${describeFailures(refused)}); ` : ''}delete it and create it with another region, provider or flavor (or raise the quota)`;
      await this.fail(inst, e.errorClass, `${e.message} — ${advice}`);
      return;
    }
    // Retryable (or capacity that may free up): keep the condition current and let the runner back off.
    const changed = !inst.status.conditions.some((c) => c.type === 'ProviderError' && c.reason === e.errorClass && c.message === e.message);
    if (changed) {
      await this.writeStatus(
        inst,
        (s) => ({
          ...s,
          conditions: setCondition(s.conditions, { type: 'ProviderError', status: 'True', reason: e.errorClass, message: e.message }, now),
        }),
        { type: 'ProviderError', reason: e.errorClass, message: e.message },
      );
    }
    throw e;
  }

  private async fail(inst: Instance, reason: string, message: string): Promise<void> {
    await this.writeStatus(
      inst,
      (s) => ({ ...s, phase: 'Failed', reason, message, observedGeneration: inst.generation }),
      { type: 'PhaseChanged', reason: 'Failed', message },
    );
  }

  /** Writes what was observed, with an event for each thing a person (or the ledger) wants to know: a new drift, a phase change, a reboot. */
  private async record(
    inst: Instance,
    o: ObservedInstance,
    extra: { rebooted?: boolean; drift?: { reason: string; message: string }; driftAction?: 'report' | 'restore' },
  ): Promise<Instance> {
    const now = this.store.nowIso();
    const { drift, driftAction } = extra;
    const driftNote = driftAction === 'report' ? 'driftPolicy is "report", so it is left for a person' : 'restoring the desired state (driftPolicy: recreate)';
    return this.writeStatus(
      inst,
      (s) => {
        const phase = PHASE_OF_STATE[o.state] ?? s.phase;
        let conditions = removeCondition(s.conditions, 'ProviderError');
        if (drift) conditions = setCondition(conditions, { type: 'Drifted', status: 'True', reason: drift.reason, message: `${drift.message}; ${driftNote}` }, now);
        else if (conditions.some((c) => c.type === 'Drifted' && c.status === 'True')) {
          conditions = setCondition(conditions, { type: 'Drifted', status: 'False', reason: 'Converged', message: 'matches the desired state' }, now);
        }
        const wanted = inst.spec.powerState === 'on' ? 'Running' : 'Stopped';
        const reported = driftAction === 'report' && drift;
        return {
          ...s,
          phase,
          reason: reported ? drift.reason : null,
          message: reported ? `${drift.message}; ${driftNote}` : null,
          externalId: o.externalId,
          addresses: o.addresses,
          kind: o.kind,
          lastObservedAt: now,
          conditions,
          observedGeneration: phase === wanted || reported ? inst.generation : s.observedGeneration,
          observedReboots: extra.rebooted ? inst.spec.reboots : s.observedReboots,
        };
      },
      (before, after) => {
        const events: EventInput[] = [];
        const newDrift = drift && !before.status.conditions.some((c) => c.type === 'Drifted' && c.status === 'True' && c.reason === drift.reason);
        if (newDrift) events.push({ type: 'Drifted', reason: drift.reason, message: `${drift.message}; ${driftNote}` });
        if (before.status.phase !== after.status.phase) {
          // The usage ledger reads phase changes, so one is recorded even when a drift explains it.
          events.push({ type: 'PhaseChanged', reason: after.status.phase, message: `${before.status.phase} → ${after.status.phase} (${inst.spec.provider} reports ${o.state})` });
        }
        if (extra.rebooted) events.push({ type: 'Rebooted', reason: 'Requested', message: 'reboot sent to the provider' });
        return events;
      },
    );
  }

  /**
   * Status-only write. lastObservedAt alone does not justify a write, so a steady instance costs no writes.
   * The write is unconditional on resourceVersion but re-applied to the latest state on a lost race.
   */
  private writeStatus(
    inst: Instance,
    change: (s: InstanceStatus) => InstanceStatus,
    event?: EventInput | ((before: Instance, after: Instance) => EventInput | EventInput[] | null),
  ): Promise<Instance> {
    return this.store.update<InstanceSpec, InstanceStatus>(
      INSTANCE_KIND,
      inst.id,
      (current) => {
        const status = change(current.status);
        const same = JSON.stringify({ ...status, lastObservedAt: null }) === JSON.stringify({ ...current.status, lastObservedAt: null });
        return same ? null : { ...current, status };
      },
      { event: typeof event === 'function' ? event : event ? () => event : undefined },
    );
  }
}
