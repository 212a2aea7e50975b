import type { Image, Offer } from '../core/offer.js';
import { isProviderError } from '../providers/driver.js';
import type { GuardedDriver } from '../providers/guarded-driver.js';
import type { ProviderRegistry } from '../providers/registry.js';

const FETCH_ATTEMPTS = 3;

/** A catalog read is cheap and placement depends on it: a passing error is retried at once, a few times. */
async function withRetries<T>(fetch: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch();
    } catch (e) {
      if (attempt >= FETCH_ATTEMPTS || !isProviderError(e, 'Retryable')) throw e;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

/**
 * One value per provider, fetched at most once per `ttlMs` (concurrent readers share one fetch). A provider that
 * cannot answer keeps its last known value rather than vanishing from placement; with none, `fallback`.
 */
class PerProviderCache<T> {
  private cache = new Map<string, { value: T; fetchedAt: number }>();
  private inflight = new Map<string, Promise<T>>();

  constructor(
    private readonly fetch: (driver: GuardedDriver) => Promise<T>,
    private readonly fallback: T,
    private readonly ttlMs: number,
  ) {}

  get(driver: GuardedDriver): Promise<T> {
    const hit = this.cache.get(driver.name);
    if (hit && Date.now() - hit.fetchedAt < this.ttlMs) return Promise.resolve(hit.value);
    const running = this.inflight.get(driver.name);
    if (running) return running;
    const p = withRetries(() => this.fetch(driver))
      .then((value) => {
        this.cache.set(driver.name, { value, fetchedAt: Date.now() });
        return value;
      })
      .catch(() => hit?.value ?? this.fallback)
      .finally(() => this.inflight.delete(driver.name));
    this.inflight.set(driver.name, p);
    return p;
  }

  invalidate(name?: string): void {
    if (name) this.cache.delete(name);
    else this.cache.clear();
  }
}

/** The offers and images of every configured provider, cached so that placing a request costs no provider call. */
export class OfferCatalog {
  private readonly offers: PerProviderCache<Offer[]>;
  private readonly images: PerProviderCache<Image[] | null>;

  constructor(
    private readonly providers: ProviderRegistry,
    ttlMs = 60_000,
  ) {
    this.offers = new PerProviderCache((d) => d.offers(), [], ttlMs);
    // null: the provider never said which images it has (a create will report a bad one).
    this.images = new PerProviderCache<Image[] | null>((d) => d.images(), null, ttlMs);
  }

  async all(): Promise<Offer[]> {
    const lists = await Promise.all(this.providers.all().map((d) => this.offers.get(d)));
    return lists.flat();
  }

  async forProvider(name: string): Promise<Offer[]> {
    const driver = this.providers.get(name);
    return driver ? this.offers.get(driver) : [];
  }

  /** Image names a provider offers, or null when it could not say. */
  async imageNames(name: string): Promise<string[] | null> {
    const driver = this.providers.get(name);
    const images = driver ? await this.images.get(driver) : null;
    return images ? images.map((i) => i.name) : null;
  }

  /** Drops the cache so the next read asks the providers again (after a capacity change, say). */
  invalidate(name?: string): void {
    this.offers.invalidate(name);
    this.images.invalidate(name);
  }
}
