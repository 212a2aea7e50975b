import { InvalidInputError, NotFoundError, UnavailableError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import {
  INSTANCE_KIND,
  initialInstanceStatus,
  type Instance,
  type InstanceAction,
  type InstanceCreate,
  type InstanceSpec,
  type InstanceStatus,
} from '../core/instance.js';
import type { LabelRequirement } from '../core/selector.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Page, Store } from '../store/store.js';
import type { OfferCatalog } from './offer-catalog.js';
import { resolvePlacement, type Placement } from './resolve-placement.js';

export interface InstanceListQuery {
  project?: string | string[];
  provider?: string;
  region?: string;
  phase?: string;
  name?: string;
  managed?: boolean;
  selector?: LabelRequirement[];
  limit?: number;
  cursor?: string | null;
}

/**
 * KRANE's instance service: the only way the API (and later the deploy plane) changes instances. It writes
 * desired state and schedules the controller; nothing slow happens here.
 */
export class InstanceService {
  constructor(
    private readonly store: Store,
    private readonly providers: ProviderRegistry,
    private readonly catalog: OfferCatalog,
  ) {}

  /** Validates and places the request, stores it as Pending and hands it to the controller. */
  async create(req: InstanceCreate): Promise<Instance> {
    const offers = await this.catalog.all();
    const pinned = req.provider !== undefined ? this.providers.get(req.provider) : undefined;
    if (pinned && !offers.some((o) => o.provider === pinned.name)) {
      const { lastError } = pinned.status();
      throw new UnavailableError(
        `provider ${pinned.name} has no offers right now${lastError ? ` (it is not answering: ${lastError})` : ''}: retry later or choose another provider`,
      );
    }
    const placement = resolvePlacement(req, offers, this.providers.names());
    if (req.zone !== undefined) await this.checkZone(placement.provider, placement.region, req.zone);
    return this.createAt(req, placement, req.requirements ? { provider: req.provider ?? null, region: req.region ?? null, zone: req.zone ?? null } : null);
  }

  /**
   * Stores an instance at a placement decided elsewhere (the deploy plane's optimiser) and hands it to the
   * controller. `constraints` null: the instance is never moved by the compute controller (its owner moves it).
   */
  async createAt(req: InstanceCreate, placement: Placement, constraints: InstanceSpec['constraints'] = null): Promise<Instance> {
    const spec: InstanceSpec = {
      provider: placement.provider,
      region: placement.region,
      zone: placement.zone,
      flavor: placement.flavor,
      requirements: req.requirements ?? null,
      image: req.image,
      market: req.market,
      userData: req.userData ?? null,
      powerState: req.powerState,
      driftPolicy: req.driftPolicy,
      managed: true,
      reboots: 0,
      constraints,
    };
    const images = await this.catalog.imageNames(placement.provider);
    if (images !== null && !images.includes(spec.image)) {
      throw new InvalidInputError(`image "${spec.image}" is not available on ${placement.provider}: use one of ${images.join(', ')}`, {
        field: 'image',
      });
    }
    const status: InstanceStatus = { ...initialInstanceStatus(), scheduling: placement.scheduling };
    return this.store.create<InstanceSpec, InstanceStatus>(
      { id: newId('i'), kind: INSTANCE_KIND, project: req.project, name: req.name, labels: req.labels, spec, status },
      { type: 'Created', reason: 'Requested', message: `placed on ${spec.provider}/${spec.region}/${spec.flavor}: ${placement.scheduling.reason}` },
      { reconcileAt: Date.now() },
    );
  }

  /** Offers rarely name zones, so a zone is checked against the provider's regions here, at the edge. */
  private async checkZone(provider: string, region: string, zone: string): Promise<void> {
    let zones: string[];
    try {
      zones = (await this.providers.get(provider)!.regions()).find((r) => r.name === region)?.zones ?? [];
    } catch {
      return; // the provider cannot say right now; its create will refuse a bad zone
    }
    if (!zones.includes(zone)) {
      throw new InvalidInputError(`zone "${zone}" is not in ${provider}/${region}: use one of ${zones.join(', ') || '(none: leave zone out)'}`, {
        field: 'zone',
      });
    }
  }

  async get(id: string, projects?: string[]): Promise<Instance> {
    const r = await this.store.get<InstanceSpec, InstanceStatus>(INSTANCE_KIND, id);
    if (!r || (projects && !projects.includes(r.project))) throw instanceNotFound(id);
    return r;
  }

  /**
   * `getEncoded` answered from memory when it can be, synchronously; undefined when the store must be asked.
   * An instance outside `projects` is NotFound here too.
   */
  cachedEncoded(id: string, projects?: string[]): string | undefined {
    const r = this.store.cachedEncoded(INSTANCE_KIND, id);
    if (r && projects && !projects.includes(r.project)) throw instanceNotFound(id);
    return r?.json;
  }

  /** The same instance as `get`, already encoded as JSON: reads by id answer with it without re-encoding. */
  async getEncoded(id: string, projects?: string[]): Promise<string> {
    const r = await this.store.getEncoded(INSTANCE_KIND, id);
    if (!r || (projects && !projects.includes(r.project))) throw instanceNotFound(id);
    return r.json;
  }

  async list(q: InstanceListQuery): Promise<Page<Instance>> {
    const page = await this.store.list<InstanceSpec, InstanceStatus>(INSTANCE_KIND, q);
    if (q.managed === undefined) return page;
    // `managed` is rare enough as a filter that it is applied after the indexed query.
    return { ...page, items: page.items.filter((i) => i.spec.managed === q.managed) };
  }

  /**
   * Gives every instance still on its way somewhere (Pending, Provisioning, Deleting) a work item if it has none;
   * settled instances are checked by inventory sync instead (one list call a page, not one observe each).
   */
  async scheduleUnsettled(): Promise<void> {
    const ids = await this.store.idsInPhases(INSTANCE_KIND, ['Pending', 'Provisioning', 'Deleting']);
    await this.store.enqueueMissing(INSTANCE_KIND, ids, Date.now());
  }

  /** Marks the instance for deletion; the controller removes it at the provider, then it becomes Deleted. */
  async delete(id: string, expectedVersion?: number): Promise<Instance> {
    return this.store.update<InstanceSpec, InstanceStatus>(
      INSTANCE_KIND,
      id,
      (r) => {
        if (r.deletedAt !== null) return null;
        return { ...r, deletedAt: this.store.nowIso(), status: { ...r.status, phase: r.status.phase === 'Deleted' ? 'Deleted' : 'Deleting' } };
      },
      { expectedVersion, reconcileAt: Date.now(), event: () => ({ type: 'DeleteRequested', reason: 'Requested', message: 'delete requested' }) },
    );
  }

  /** start / stop change the desired power state; reboot asks for one more reboot. */
  async act(id: string, action: InstanceAction): Promise<Instance> {
    const current = await this.get(id);
    if (current.deletedAt !== null) {
      throw new InvalidInputError(`instance ${id} is being deleted: it can no longer be started, stopped or rebooted`);
    }
    if (!current.spec.managed) {
      throw new InvalidInputError(`instance ${id} was discovered and is not managed by Tessera: adopt it first (tessera instance adopt ${id})`);
    }
    if (action === 'reboot' && current.spec.powerState === 'off') {
      throw new InvalidInputError(`instance ${id} is stopped: start it instead of rebooting it`);
    }
    return this.store.update<InstanceSpec, InstanceStatus>(
      INSTANCE_KIND,
      id,
      (r) => {
        const spec = { ...r.spec };
        if (action === 'start') spec.powerState = 'on';
        else if (action === 'stop') spec.powerState = 'off';
        else spec.reboots += 1;
        return { ...r, spec };
      },
      { reconcileAt: Date.now(), event: () => ({ type: 'ActionRequested', reason: action, message: `${action} requested` }) },
    );
  }

  /** Brings a discovered instance under management: from now on Tessera acts on it like on its own. */
  async adopt(id: string, project?: string): Promise<Instance> {
    return this.store.update<InstanceSpec, InstanceStatus>(
      INSTANCE_KIND,
      id,
      (r) => {
        if (r.spec.managed) throw new InvalidInputError(`instance ${id} is already managed by Tessera: nothing to adopt`);
        if (r.status.phase === 'Deleted') throw new InvalidInputError(`instance ${id} no longer exists at ${r.spec.provider}: it cannot be adopted`);
        return {
          ...r,
          project: project ?? r.project,
          spec: { ...r.spec, managed: true, powerState: r.status.phase === 'Stopped' ? 'off' : 'on' },
          status: { ...r.status, discovered: false },
        };
      },
      { reconcileAt: Date.now(), event: () => ({ type: 'Adopted', reason: 'Requested', message: 'brought under management' }) },
    );
  }
}

function instanceNotFound(id: string): NotFoundError {
  return new NotFoundError(`instance ${id} does not exist: list instances with GET /v1/instances (tessera instance list)`);
}
