import type { Offer } from '../core/offer.js';
import type { ProviderRegistry } from '../providers/registry.js';

/**
 * The offers of every configured provider, cached: drivers are asked at most once per `ttlMs`, and a provider
 * that cannot answer keeps its last known offers (marked stale) rather than vanishing from placement.
 */
export class OfferCatalog {
  private cache = new Map<string, { offers: Offer[]; fetchedAt: number }>();
  private inflight = new Map<string, Promise<Offer[]>>();

  constructor(
    private readonly providers: ProviderRegistry,
    private readonly ttlMs = 60_000,
  ) {}

  async all(): Promise<Offer[]> {
    const lists = await Promise.all(this.providers.names().map((name) => this.forProvider(name)));
    return lists.flat();
  }

  async forProvider(name: string): Promise<Offer[]> {
    const hit = this.cache.get(name);
    if (hit && Date.now() - hit.fetchedAt < this.ttlMs) return hit.offers;
    const running = this.inflight.get(name);
    if (running) return running;
    const driver = this.providers.get(name);
    if (!driver) return [];
    const p = driver
      .offers()
      .then((offers) => {
        this.cache.set(name, { offers, fetchedAt: Date.now() });
        return offers;
      })
      .catch(() => hit?.offers ?? [])
      .finally(() => this.inflight.delete(name));
    this.inflight.set(name, p);
    return p;
  }

  /** Drops the cache so the next read asks the providers again (after a capacity change, say). */
  invalidate(name?: string): void {
    if (name) this.cache.delete(name);
    else this.cache.clear();
  }
}
