import type { ImportedPrice, ImportResult } from '../imported-price.js';

/**
 * Gathers an importer's prices and the entries it passed over. The catalog takes one price per offer (provider,
 * region, flavor, market) from an import, so a repeated offer is settled here, where the reason can still name the
 * source entry: the price with the later effective time is the one in force; of two with the same time, the first
 * is kept and a differing second is reported as a conflict.
 */
export class ImportCollector {
  private readonly byOffer = new Map<string, { price: ImportedPrice; entry: string }>();
  private readonly skipped: ImportResult['skipped'] = [];

  skip(entry: string, reason: string): void {
    this.skipped.push({ entry, reason });
  }

  add(price: ImportedPrice, entry: string): void {
    const key = `${price.provider}/${price.region}/${price.flavor}/${price.market}`;
    const held = this.byOffer.get(key);
    if (!held) {
      this.byOffer.set(key, { price, entry });
      return;
    }
    const order = compareEffective(price.effectiveAt, held.price.effectiveAt);
    if (order > 0) {
      this.skip(held.entry, `superseded by ${entry}, which took effect later (${price.effectiveAt})`);
      this.byOffer.set(key, { price, entry });
    } else if (order < 0) {
      this.skip(entry, `superseded by ${held.entry}, which took effect later (${held.price.effectiveAt})`);
    } else if (price.priceMicrosPerHour === held.price.priceMicrosPerHour) {
      this.skip(entry, `repeats ${held.entry} (same offer, price and effective time)`);
    } else {
      this.skip(
        entry,
        `conflicts with ${held.entry}: the same offer ${key} effective ${price.effectiveAt ?? '(undated)'} at ` +
          `${price.priceMicrosPerHour} µ$/h instead of ${held.price.priceMicrosPerHour} µ$/h; the first one is kept`,
      );
    }
  }

  result(): ImportResult {
    return { prices: [...this.byOffer.values()].map((v) => v.price), skipped: this.skipped };
  }
}

/** Undated prices sort before dated ones: a source that says when its price began is the better-informed one. */
function compareEffective(a: string | null, b: string | null): number {
  const ta = a === null ? Number.NEGATIVE_INFINITY : Date.parse(a);
  const tb = b === null ? Number.NEGATIVE_INFINITY : Date.parse(b);
  if (Number.isNaN(ta) || Number.isNaN(tb) || ta === tb) return 0;
  return ta > tb ? 1 : -1;
}
