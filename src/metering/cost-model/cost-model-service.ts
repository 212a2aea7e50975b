import type { Logger } from 'pino';
import { InvalidInputError, NotFoundError } from '../../core/errors.js';
import type { Offer } from '../../core/offer.js';
import type { ProviderConfig } from '../../providers/registry.js';
import type { Store } from '../../store/store.js';
import { SINCE_EVER } from '../catalog/catalog-diff.js';
import type { CatalogPrice } from '../catalog/catalog-price.js';
import type { ImportedPrice } from '../catalog/imported-price.js';
import type { PriceCatalog } from '../catalog/price-catalog.js';
import { priceKeysOf } from '../price-key.js';
import type { CostModelInputs } from './cost-model-config.js';
import { CostModelVersions } from './cost-model-versions.js';
import { ratesView, type CostModelApplyOutcome, type CostModelFlavorPrice, type CostModelView } from './cost-model-view.js';
import { splitFor, type PublicPrice } from './cpu-memory-split.js';
import { priceFlavors, type PricedFlavor } from './flavor-prices.js';
import { PublicComparisons } from './public-comparison.js';
import { unitRates } from './unit-rates.js';

/** The `source` of every catalog period a cost model opens: how its prices are told from published list prices. */
export const COST_MODEL_SOURCE = 'cost model';

const CATALOG_PAGE = 10_000;
/** Another process applying the same model at the same moment makes one of the two writes fail; the retry finds it done. */
const APPLY_ATTEMPTS = 3;

export interface CostModelDeps {
  store: Store;
  prices: PriceCatalog;
  /** What the provider offers now (compute's OfferCatalog.forProvider): the flavors to price. */
  offers: (provider: string) => Promise<Offer[]>;
  /** The validated `costModel` blocks by provider (parseCostModels). */
  models: ReadonlyMap<string, CostModelInputs>;
  /** Every configured provider: those billed under their own name are private, and never a public comparison. */
  providers: readonly ProviderConfig[];
  logger: Logger;
}

/**
 * Private-cloud cost models (KEMI): each configured model turned into unit rates and flavor prices, imported
 * into the price catalog under the provider's own name so private usage is priced like public usage, with
 * validity periods; each version of the model kept, so a past bill can be explained with the model of its day.
 */
export class CostModels {
  readonly versions: CostModelVersions;
  private readonly privateProviders: ReadonlySet<string>;

  constructor(private readonly deps: CostModelDeps) {
    this.versions = new CostModelVersions(deps.store);
    const keyOf = priceKeysOf([...deps.providers]);
    this.privateProviders = new Set(deps.providers.filter((p) => keyOf(p.name) === p.name).map((p) => p.name));
  }

  /** Providers with a cost model in the configuration. */
  configured(): string[] {
    return [...this.deps.models.keys()].sort();
  }

  /** Applies every configured model (at start). A provider that lists no offers now is reported, not fatal. */
  async applyAll(): Promise<CostModelApplyOutcome[]> {
    const outcomes: CostModelApplyOutcome[] = [];
    for (const provider of this.configured()) {
      const o = await this.apply(provider);
      outcomes.push(o);
      const log = { provider, newVersion: o.newVersion, catalog: o.catalog, unpriced: o.unpriced.length, vcpuHourNanos: o.version.rates.vcpuHourNanos, gibHourNanos: o.version.rates.gibHourNanos };
      if (o.note) this.deps.logger.warn(log, `cost model of ${provider}: ${o.note}`);
      else this.deps.logger.info(log, `cost model of ${provider} applied`);
      for (const u of o.unpriced) this.deps.logger.warn({ provider, ...u }, `cost model of ${provider} cannot price ${u.region}/${u.flavor}: ${u.reason}`);
    }
    return outcomes;
  }

  /**
   * Works the provider's model out from its inputs, today's public list prices (for the CPU/memory split) and
   * the provider's offers; records a new version if the inputs or rates changed, and imports the flavor prices
   * into the catalog (a changed price opens a new period). Applying an unchanged model changes nothing.
   */
  async apply(provider: string): Promise<CostModelApplyOutcome> {
    const inputs = this.deps.models.get(provider);
    if (!inputs) {
      const known = this.configured();
      throw new NotFoundError(
        `provider "${provider}" has no cost model: add a costModel block to it in tessera.yaml and restart${known.length ? ` (providers with one: ${known.join(', ')})` : ''}`,
      );
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.applyOnce(provider, inputs);
      } catch (e) {
        if (attempt >= APPLY_ATTEMPTS || e instanceof InvalidInputError) throw e;
        this.deps.logger.debug({ provider, attempt, err: { message: (e as Error).message } }, 'cost model apply raced another process; reading again');
      }
    }
  }

  private async applyOnce(provider: string, inputs: CostModelInputs): Promise<CostModelApplyOutcome> {
    await this.refuseListPriced(provider);
    const split = await splitFor(inputs, () => this.publicPrices());
    const unit = unitRates(inputs, split);
    const rates = ratesView(unit, split);
    const current = await this.versions.current(provider);
    const changed = current === null || !CostModelVersions.same(current, inputs, rates);
    // A first model has always been the provider's cost, as a first catalog price has always been its price.
    const validFrom = current === null ? SINCE_EVER : changed ? this.deps.store.nowIso() : current.validFrom;

    const { priced, unpriced } = priceFlavors(await this.deps.offers(provider), unit);
    const imported =
      priced.length === 0
        ? null
        : await this.deps.prices.import(
            priced.map((f) => toImportedPrice(provider, f)),
            // A changed model's prices change when the model did; otherwise (a new flavor, say) the catalog's own rule.
            { source: COST_MODEL_SOURCE, effective: current !== null && changed ? validFrom : null },
          );
    // Recorded after the catalog: a failed import leaves no version claiming prices the catalog does not have.
    const { version, created } = changed ? await this.versions.record(provider, inputs, rates, validFrom) : { version: current, created: false };
    return {
      provider,
      newVersion: created,
      version,
      catalog: {
        added: imported?.diff.added.length ?? 0,
        changed: imported?.diff.changed.length ?? 0,
        withdrawn: imported?.diff.withdrawn.length ?? 0,
        unchanged: imported?.diff.unchanged ?? 0,
      },
      unpriced,
      note:
        priced.length > 0
          ? null
          : unpriced.length > 0
            ? 'no flavor of the provider could be priced (see unpriced); the catalog was left as it was'
            : 'the provider listed no offers (unreachable, or no flavors); the catalog was left as it was: apply again when it answers',
    };
  }

  /** One provider's model: the version in force, its flavor prices beside the cheapest public ones, and every version. */
  async show(provider: string): Promise<CostModelView> {
    const versions = await this.versions.history(provider);
    if (versions.length === 0) {
      throw new NotFoundError(
        this.deps.models.has(provider)
          ? `the cost model of "${provider}" has not been applied yet: POST /v1/cost/models/${provider}/apply (or restart) and see its error`
          : `provider "${provider}" has no cost model${this.configured().length ? `; these have one: ${this.configured().join(', ')}` : ': add a costModel block to a private provider in tessera.yaml'}`,
      );
    }
    const current = versions.find((v) => v.validTo === null) ?? versions[versions.length - 1]!;
    return { provider, configured: this.deps.models.has(provider), current, flavors: await this.flavorPrices(provider), versions };
  }

  /** Every provider that has (or had) a cost model. */
  async list(): Promise<CostModelView[]> {
    return Promise.all((await this.versions.providers()).map((p) => this.show(p)));
  }

  private async flavorPrices(provider: string): Promise<CostModelFlavorPrice[]> {
    const rows = (await this.deps.prices.list({ provider, market: 'on-demand', limit: CATALOG_PAGE })).items.filter((p) => p.source === COST_MODEL_SOURCE);
    const kinds = new Map((await this.deps.offers(provider)).map((o) => [o.flavor, o.kind]));
    const comparisons = new PublicComparisons(this.deps.prices, (p) => this.isPublic(p));
    const out = await Promise.all(
      rows.map(async (p) => ({
        region: p.region,
        flavor: p.flavor,
        kind: kinds.get(p.flavor) ?? null,
        vcpus: p.vcpus,
        memoryGiB: p.memoryGiB,
        gpus: p.gpus,
        priceMicrosPerHour: p.priceMicrosPerHour,
        validFrom: p.validFrom,
        cheapestPublic: await comparisons.compare(p, p.priceMicrosPerHour),
      })),
    );
    return out.sort((a, b) => a.region.localeCompare(b.region) || a.priceMicrosPerHour - b.priceMicrosPerHour || a.flavor.localeCompare(b.flavor));
  }

  /**
   * A public list price: not a cost model's, not a configured private provider's, nor the configured prices a
   * private provider once had recorded (catalog/offer-prices.ts names their source after the provider).
   */
  private isPublic(p: CatalogPrice): boolean {
    return p.source !== COST_MODEL_SOURCE && !this.privateProviders.has(p.provider) && !isOwnConfiguration(p);
  }

  /** Today's on-demand public prices of machines without GPUs: what the CPU/memory split is fitted to. */
  private async publicPrices(): Promise<PublicPrice[]> {
    const out: PublicPrice[] = [];
    for (let offset: number | null = 0; offset !== null; ) {
      const page = await this.deps.prices.list({ market: 'on-demand', limit: CATALOG_PAGE, offset });
      out.push(...page.items.filter((p) => p.gpus === 0 && this.isPublic(p)));
      offset = page.nextOffset;
    }
    return out;
  }

  /** A provider named like a cloud whose list prices the catalog holds would have them overwritten: refused. */
  private async refuseListPriced(provider: string): Promise<void> {
    // The prices its own configuration gave it before it had a cost model are the model's to replace.
    const listed = (await this.deps.prices.history({ provider }, CATALOG_PAGE)).find((p) => p.source !== COST_MODEL_SOURCE && !isOwnConfiguration(p));
    if (listed) {
      throw new InvalidInputError(
        `the price catalog holds list prices for "${provider}" (from ${listed.source}); its cost model would replace them. ` +
          'Give the private provider another name in tessera.yaml',
        { provider },
      );
    }
  }
}

/** The source catalog/offer-prices.ts gives a private provider's configured prices. */
function isOwnConfiguration(p: CatalogPrice): boolean {
  return p.source === `${p.provider} configuration`;
}

function toImportedPrice(provider: string, f: PricedFlavor): ImportedPrice {
  return {
    provider,
    region: f.region,
    zone: null,
    flavor: f.flavor,
    market: 'on-demand',
    vcpus: f.vcpus,
    memoryGiB: f.memoryGiB,
    gpus: f.gpus,
    arch: f.arch,
    priceMicrosPerHour: f.priceMicrosPerHour,
    effectiveAt: null,
  };
}
