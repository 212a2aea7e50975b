import { join, resolve } from 'node:path';
import { NotFoundError, InvalidInputError } from '../../core/errors.js';
import type { Image, Offer, Region } from '../../core/offer.js';
import {
  ProviderError,
  TESSERA_ID_LABEL,
  TESSERA_TOKEN_LABEL,
  type CreateRequest,
  type Driver,
  type DriverContext,
  type ErrorClass,
  type InstanceRef,
  type ListOptions,
  type ListPrice,
  type ObservedInstance,
  type PowerAction,
} from '../driver.js';
import { buildSimCloud, repriceSimCloud, type SimCloud, type SimFlavor, type SimRegion } from './cloud.js';
import { parseSimConfig, type SimConfig } from './config.js';
import { FaultInjector } from './faults.js';
import { toObserved } from './observed.js';
import { createRandom } from './random.js';
import { SimState, type NewMachine, type PowerIntent, type SimMachine } from './state.js';

/**
 * The `sim` driver: a simulated cloud behind the driver contract, for demos, tests and benchmarks.
 * Its machines live in a SQLite file (state.ts), so they outlive the Tessera process, as a real cloud's do.
 */

export const DEFAULT_LIST_PAGE_SIZE = 1000;

/** What `createSimDriver` needs besides the config; `now` lets tests step time instead of sleeping. */
export interface SimDriverContext extends Pick<DriverContext, 'dataDir' | 'listPrices'> {
  now?: () => number;
}

/** Builds a sim driver from its tessera.yaml block; the state file defaults to `<dataDir>/sim/<name>.db`. */
export async function createSimDriver(name: string, config: unknown, ctx: SimDriverContext): Promise<SimDriver> {
  const parsed = parseSimConfig(name, config);
  const stateFile = parsed.stateFile ? resolve(ctx.dataDir, parsed.stateFile) : join(ctx.dataDir, 'sim', `${name}.db`);
  let prices: (() => Promise<ListPrice[]>) | null = null;
  if (!Array.isArray(parsed.flavors)) {
    const { listPrices } = ctx;
    const cloud = parsed.flavors.catalog.provider;
    if (!listPrices) throw new InvalidInputError(`sim provider '${name}' sells from the price catalog, which this process does not have`);
    prices = () => listPrices(cloud);
  }
  return SimDriver.open(name, parsed, stateFile, ctx.now ?? Date.now, prices === null ? null : { initial: await prices(), refresh: prices });
}

type SimVerb = 'offers' | 'regions' | 'images' | 'observe' | 'create' | 'delete' | 'power' | 'list';

/** Counters a test or benchmark reads through `simState()`. */
export interface SimStats {
  liveMachines: number;
  deletedMachines: number;
  usedVcpusByRegion: Record<string, number>;
  /** Calls received, by verb, including those that failed. */
  calls: Partial<Record<SimVerb, number>>;
  /** Errors returned, by provider code (e.g. `RequestLimitExceeded`, `InsufficientInstanceCapacity`). */
  errors: Record<string, number>;
}

/** A change made to a machine outside Tessera (console, another tool), for drift tests. */
export interface ExternalChange {
  name?: string;
  zone?: string | null;
  flavor?: string;
  image?: string;
  labels?: Record<string, string>;
  /** Takes effect at once: an outside power change is seen only after it is done. */
  power?: PowerIntent;
}

/** Shapes the machines `seedMachines` makes; by default they are spread over every region and flavor. */
export interface SeedOptions {
  region?: string;
  flavor?: string;
  namePrefix?: string;
  labels?: Record<string, string>;
}

export class SimDriver implements Driver {
  readonly type = 'sim';
  readonly simulated = true;
  private readonly calls: Partial<Record<SimVerb, number>> = {};
  private readonly errors: Record<string, number> = {};

  private constructor(
    readonly name: string,
    private readonly config: SimConfig,
    private readonly cloud: SimCloud,
    private readonly state: SimState,
    private readonly faults: FaultInjector,
    private readonly now: () => number,
    private readonly catalogPrices: (() => Promise<ListPrice[]>) | null,
  ) {}

  /** `catalog`: where a catalog-priced sim reads its prices (null for explicit flavors). */
  static open(
    name: string,
    config: SimConfig,
    stateFile: string,
    now: () => number = Date.now,
    catalog: { initial: ListPrice[]; refresh: () => Promise<ListPrice[]> } | null = null,
  ): SimDriver {
    const cloud = buildSimCloud(name, config, catalog?.initial);
    const faults = new FaultInjector(name, config, createRandom(config.seed), now);
    return new SimDriver(name, config, cloud, SimState.open(stateFile), faults, now, catalog?.refresh ?? null);
  }

  async offers(): Promise<Offer[]> {
    // A catalog-priced sim sells at the catalog's price of the moment, as a cloud charges its current list price.
    if (this.catalogPrices) repriceSimCloud(this.cloud, await this.catalogPrices());
    return this.call('offers', false, () => {
      const used = this.state.usedVcpusByRegion();
      const offers: Offer[] = [];
      for (const region of this.cloud.regions.values()) {
        for (const [flavorName, price] of region.prices) {
          const flavor = this.cloud.flavors.get(flavorName)!;
          const available =
            region.capacityVcpus === null
              ? null
              : Math.max(0, Math.floor((region.capacityVcpus - (used.get(region.name) ?? 0)) / flavor.vcpus));
          const base = {
            provider: this.name,
            region: region.name,
            zone: price.zone,
            flavor: flavor.name,
            vcpus: flavor.vcpus,
            memoryGiB: flavor.memoryGiB,
            gpus: flavor.gpus,
            arch: flavor.arch,
            kind: this.cloud.kind,
            available,
          };
          offers.push({ ...base, market: 'on-demand', priceMicrosPerHour: price.onDemandMicrosPerHour });
          if (price.spotMicrosPerHour !== null) {
            offers.push({ ...base, market: 'spot', priceMicrosPerHour: price.spotMicrosPerHour });
          }
        }
      }
      return offers;
    });
  }

  regions(): Promise<Region[]> {
    return this.call('regions', false, () =>
      [...this.cloud.regions.values()].map((r) => ({ provider: this.name, name: r.name, zones: [...r.zones], location: r.location })),
    );
  }

  images(): Promise<Image[]> {
    return this.call('images', false, () => {
      // One image per name and architecture the cloud sells, as multi-arch distributions publish them.
      const arches = [...new Set([...this.cloud.flavors.values()].map((f) => f.arch))];
      return this.cloud.images.flatMap((image) =>
        arches.map((arch) => ({ provider: this.name, name: image, os: image.split('-')[0]!, arch })),
      );
    });
  }

  observe(ref: InstanceRef): Promise<ObservedInstance | null> {
    return this.call('observe', false, () => {
      const machine = this.find(ref);
      return machine ? this.view(machine) : null;
    });
  }

  create(req: CreateRequest, token: string): Promise<ObservedInstance> {
    return this.call('create', true, () => {
      if (token === '') throw this.error('Invalid', 'MissingParameter', 'a create needs a non-empty idempotency token');
      const { machine, recorded } = this.state.exclusive(() => {
        const existing = this.state.findLiveByToken(token);
        if (existing) return { machine: existing, recorded: false };
        const placement = this.validate(req);
        this.checkCapacity(placement.region, placement.flavor);
        this.faults.injectPlacementFault(`${req.flavor} in ${req.region}`, placement.region.failureRates);
        const createdAt = this.now();
        const created = this.state.insert({
          token,
          name: req.name,
          region: req.region,
          zone: placement.zone,
          flavor: req.flavor,
          vcpus: placement.flavor.vcpus,
          image: req.image,
          market: req.market,
          // Tessera's own labels last, so a request cannot overwrite them.
          labels: { ...req.labels, [TESSERA_ID_LABEL]: req.tesseraId, [TESSERA_TOKEN_LABEL]: token },
          createdAt,
          power: req.powerOn ? 'on' : 'off',
          transitionUntil: req.powerOn ? createdAt + this.config.provisionSeconds * 1000 : createdAt,
        });
        return { machine: created, recorded: true };
      });
      // Only a first create can lose its response: the machine is on disk, the caller cannot know it.
      if (recorded && this.faults.responseLost()) {
        throw this.error('Retryable', 'RequestTimeout', `sim provider '${this.name}' did not answer the create (injected fault); retry`);
      }
      return this.view(machine);
    });
  }

  delete(ref: InstanceRef): Promise<void> {
    return this.call('delete', true, () => {
      const machine = this.find(ref);
      if (machine) this.state.markDeleted(machine.externalId, this.now());
    });
  }

  power(ref: InstanceRef, action: PowerAction): Promise<void> {
    return this.call('power', true, () => {
      const machine = this.find(ref);
      if (!machine) {
        throw this.error('NotFound', 'InvalidInstanceID.NotFound', `sim provider '${this.name}' has no machine ${describeRef(ref)}`);
      }
      const now = this.now();
      const bootUntil = now + this.config.provisionSeconds * 1000;
      if (action === 'on' && machine.power === 'off') {
        this.state.update(machine.externalId, { power: 'on', transitionUntil: bootUntil });
      } else if (action === 'off' && machine.power === 'on') {
        this.state.update(machine.externalId, { power: 'off', transitionUntil: now + this.config.stopSeconds * 1000 });
      } else if (action === 'reboot') {
        if (machine.power === 'off') {
          throw this.error('Invalid', 'IncorrectInstanceState', `machine ${machine.externalId} is stopped; power it on instead of rebooting`);
        }
        // A rebooting machine is pending again until it has booted.
        this.state.update(machine.externalId, { transitionUntil: bootUntil });
      }
    });
  }

  async *list(opts: ListOptions = {}): AsyncGenerator<ObservedInstance[]> {
    const pageSize = opts.pageSize ?? DEFAULT_LIST_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw this.error('Invalid', 'InvalidParameterValue', `pageSize must be a positive integer, got ${pageSize}`);
    }
    let cursor: string | null = null;
    for (;;) {
      opts.signal?.throwIfAborted();
      const after = cursor;
      const page: SimMachine[] = await this.call('list', false, () => this.state.livePage(after, pageSize));
      if (page.length === 0) return;
      const now = this.now();
      yield page.map((m) => toObserved(m, this.cloud.kind, now));
      if (page.length < pageSize) return;
      cursor = page[page.length - 1]!.externalId;
    }
  }

  async close(): Promise<void> {
    this.state.close();
  }

  // ---- Test hooks: not part of the driver contract. ----

  simState(): SimStats {
    const counts = this.state.counts();
    return {
      liveMachines: counts.live,
      deletedMachines: counts.deleted,
      usedVcpusByRegion: Object.fromEntries(this.state.usedVcpusByRegion()),
      calls: { ...this.calls },
      errors: { ...this.errors },
    };
  }

  /** Every machine ever recorded, deleted ones included, as the sim stores them. */
  simMachines(): SimMachine[] {
    return this.state.allMachines();
  }

  /** Deletes a machine as someone outside Tessera would; false when it did not exist. */
  externalDelete(externalId: string): boolean {
    return this.state.markDeleted(externalId, this.now());
  }

  /** Changes a machine as someone outside Tessera would (no latency, no faults). */
  externalModify(externalId: string, change: ExternalChange): void {
    const { power, flavor, ...rest } = change;
    const flavorSpec = flavor === undefined ? undefined : this.cloud.flavors.get(flavor);
    if (flavor !== undefined && !flavorSpec) {
      throw new InvalidInputError(`flavor '${flavor}' does not exist in sim provider '${this.name}'`);
    }
    const updated = this.state.update(externalId, {
      ...rest,
      ...(flavorSpec && { flavor: flavorSpec.name, vcpus: flavorSpec.vcpus }),
      ...(power && { power, transitionUntil: this.now() }),
    });
    if (!updated) throw new NotFoundError(`sim provider '${this.name}' has no live machine ${externalId}`);
  }

  setFailAll(on: boolean): void {
    this.faults.setFailAll(on);
  }

  /**
   * Records `count` running machines made outside Tessera (no token, no Tessera labels) in one transaction,
   * for discovery and adoption tests. Ignores capacity: they were there before anyone asked.
   */
  seedMachines(count: number, options: SeedOptions = {}): number {
    const placements = this.seedPlacements(options);
    const createdAt = this.now();
    const prefix = options.namePrefix ?? 'foreign';
    const images = this.cloud.images;
    const machines = function* (): Generator<NewMachine> {
      for (let i = 0; i < count; i++) {
        const { region, flavor } = placements[i % placements.length]!;
        yield {
          token: null,
          name: `${prefix}-${i}`,
          region: region.name,
          zone: region.zones.length > 0 ? region.zones[i % region.zones.length]! : null,
          flavor: flavor.name,
          vcpus: flavor.vcpus,
          image: images[i % images.length]!,
          market: 'on-demand',
          labels: { ...options.labels },
          createdAt,
          power: 'on',
          transitionUntil: createdAt,
        };
      }
    };
    return this.state.insertMany(machines());
  }

  // ---- Internals ----

  /** Every call goes through here: counted, delayed, throttled and faulted as configured. */
  private async call<T>(verb: SimVerb, mutating: boolean, body: () => T): Promise<T> {
    this.calls[verb] = (this.calls[verb] ?? 0) + 1;
    try {
      await this.faults.admit(mutating);
      return body();
    } catch (e) {
      if (e instanceof ProviderError) {
        const code = e.providerCode ?? e.errorClass;
        this.errors[code] = (this.errors[code] ?? 0) + 1;
      }
      throw e;
    }
  }

  private error(errorClass: ErrorClass, providerCode: string, message: string): ProviderError {
    return new ProviderError(errorClass, message, this.name, providerCode);
  }

  private view(machine: SimMachine): ObservedInstance {
    return toObserved(machine, this.cloud.kind, this.now());
  }

  /** A ref names a machine by provider id if it has one, else by create token; the sim has one global namespace. */
  private find(ref: InstanceRef): SimMachine | null {
    if (ref.externalId) return this.state.findLive(ref.externalId);
    if (ref.token) return this.state.findLiveByToken(ref.token);
    throw this.error('Invalid', 'MissingParameter', 'a machine reference needs an externalId or a token');
  }

  /** Checks a create against what the cloud sells; each message lists the valid choices. */
  private validate(req: CreateRequest): { region: SimRegion; flavor: SimFlavor; zone: string | null } {
    const invalid = (message: string) => this.error('Invalid', 'InvalidParameterValue', message);
    const region = this.cloud.regions.get(req.region);
    if (!region) {
      throw invalid(`region '${req.region}' does not exist in sim provider '${this.name}'; valid regions: ${listOf(this.cloud.regions.keys())}`);
    }
    const flavor = this.cloud.flavors.get(req.flavor);
    if (!flavor) {
      throw invalid(`flavor '${req.flavor}' does not exist in sim provider '${this.name}'; valid flavors: ${listOf(this.cloud.flavors.keys())}`);
    }
    const price = region.prices.get(req.flavor);
    if (!price) {
      throw invalid(`flavor '${req.flavor}' is not sold in region '${region.name}'; flavors there: ${listOf(region.prices.keys())}`);
    }
    if (req.market === 'spot' && price.spotMicrosPerHour === null) {
      throw invalid(`flavor '${req.flavor}' has no spot market in region '${region.name}'; use market 'on-demand'`);
    }
    if (!this.cloud.images.includes(req.image)) {
      throw invalid(`image '${req.image}' does not exist in sim provider '${this.name}'; valid images: ${listOf(this.cloud.images)}`);
    }
    if (req.zone !== null && !region.zones.includes(req.zone)) {
      throw invalid(`zone '${req.zone}' is not in region '${region.name}'; zones there: ${listOf(region.zones) || '(none: give no zone)'}`);
    }
    // Like a cloud's default subnet: without a zone asked for, the region's first zone.
    return { region, flavor, zone: req.zone ?? region.zones[0] ?? null };
  }

  private checkCapacity(region: SimRegion, flavor: SimFlavor): void {
    if (region.capacityVcpus === null) return;
    const free = region.capacityVcpus - this.state.usedVcpus(region.name);
    if (flavor.vcpus > free) {
      throw this.error(
        'Capacity',
        'InsufficientInstanceCapacity',
        `region '${region.name}' has ${Math.max(0, free)} of ${region.capacityVcpus} vCPUs free and flavor '${flavor.name}' ` +
          `needs ${flavor.vcpus}; try another region or a smaller flavor`,
      );
    }
  }

  private seedPlacements(options: SeedOptions): { region: SimRegion; flavor: SimFlavor }[] {
    const regions = options.region === undefined ? [...this.cloud.regions.values()] : [this.cloud.regions.get(options.region)];
    if (regions.some((r) => r === undefined)) {
      throw new InvalidInputError(`region '${options.region}' does not exist in sim provider '${this.name}'`);
    }
    const placements = regions.flatMap((region) =>
      [...region!.prices.keys()]
        .filter((name) => options.flavor === undefined || name === options.flavor)
        .map((name) => ({ region: region!, flavor: this.cloud.flavors.get(name)! })),
    );
    if (placements.length === 0) {
      throw new InvalidInputError(`flavor '${options.flavor}' is not sold in the seeded regions of sim provider '${this.name}'`);
    }
    return placements;
  }
}

function listOf(names: Iterable<string>): string {
  return [...names].join(', ');
}

function describeRef(ref: InstanceRef): string {
  return ref.externalId ? ref.externalId : `with token ${ref.token}`;
}
