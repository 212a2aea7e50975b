import type { ListPrice } from '../../providers/driver.js';

/**
 * One price as an importer reads it from a published price list: what one flavor costs per hour in one region
 * and market (the drivers' ListPrice), for which provider, since when. The catalog turns these into validity
 * periods (price-catalog.ts); importers only read and normalise.
 */
export interface ImportedPrice extends ListPrice {
  /** The cloud (`aws`, `azure`, `gcp`) or a private provider's name. */
  provider: string;
  /** When the source says this price took effect (ISO 8601), if it says. */
  effectiveAt: string | null;
}

/** What an importer read: the prices, and every source entry it passed over with the reason (never silently). */
export interface ImportResult {
  prices: ImportedPrice[];
  skipped: { entry: string; reason: string }[];
}

/** A flavor's size, for price lists that do not carry it (Azure, GCP): looked up from what Tessera already knows. */
export type FlavorShapes = (provider: string, flavor: string) => { vcpus: number; memoryGiB: number; gpus: number; arch: string } | undefined;
