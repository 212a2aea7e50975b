import type { Principal } from '../core/identity.js';

/** How long a resolved credential is trusted without a look at the store. */
export const PRINCIPAL_CACHE_MS = 5_000;

/**
 * Resolved credentials (secret → principal), so that a busy client does not cost a hash and a few queries per
 * request (the secret is in this process's memory for the request anyway; it is never written anywhere). Changes made through this process (a revoked token, a changed role) clear it at once; changes made
 * by another process sharing the database take effect within PRINCIPAL_CACHE_MS.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly ttlMs = PRINCIPAL_CACHE_MS,
    private readonly capacity = 10_000,
  ) {}

  get(secret: string, now: number): Principal | undefined {
    const e = this.entries.get(secret);
    if (!e) return undefined;
    if (e.until <= now) {
      this.entries.delete(secret);
      return undefined;
    }
    return e.principal;
  }

  /** `credentialExpiresAt` caps the entry, so a credential never outlives its own expiry in here. */
  put(secret: string, principal: Principal, now: number, credentialExpiresAt: number): void {
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(secret, { principal, until: Math.min(now + this.ttlMs, credentialExpiresAt) });
  }

  clear(): void {
    this.entries.clear();
  }
}
