import type { LedgerLine } from '../ledger/ledger.js';
import { hoursDecimal, usdDecimal } from './decimal.js';
import { cloudNamesOf, resourceTypeOf } from './provider-names.js';

/**
 * The FOCUS 1.x columns of Tessera's cost export, in order, then Tessera's own (x_-prefixed, as FOCUS asks of
 * custom columns). One record per ledger line: one instance, in one state, at one price, within one UTC day.
 */
export const FOCUS_COLUMNS = [
  'BilledCost',
  'EffectiveCost',
  'ListCost',
  'ContractedCost',
  'ListUnitPrice',
  'ContractedUnitPrice',
  'BillingCurrency',
  'BillingAccountId',
  'BillingAccountName',
  'BillingPeriodStart',
  'BillingPeriodEnd',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ChargeCategory',
  'ChargeClass',
  'ChargeDescription',
  'ChargeFrequency',
  'ConsumedQuantity',
  'ConsumedUnit',
  'PricingCategory',
  'PricingQuantity',
  'PricingUnit',
  'ProviderName',
  'PublisherName',
  'InvoiceIssuerName',
  'RegionId',
  'RegionName',
  'AvailabilityZone',
  'ResourceId',
  'ResourceName',
  'ResourceType',
  'ServiceCategory',
  'ServiceName',
  'SkuId',
  'SkuPriceId',
  'SubAccountId',
  'SubAccountName',
  'Tags',
  'x_TesseraProvider',
  'x_TesseraInstanceId',
  'x_Project',
  'x_State',
  'x_Flavor',
  'x_Market',
  'x_Simulated',
  'x_UsageStart',
  'x_UsageEnd',
  'x_PriceValidFrom',
  'x_PriceNote',
] as const;

export type FocusColumn = (typeof FOCUS_COLUMNS)[number];
export type FocusRecord = Record<FocusColumn, string | null>;

export interface FocusContext {
  /** The asked period (charge periods are clipped to it). */
  fromMs: number;
  toMs: number;
  /** Whether a configured provider is a simulation (sim drivers selling at a cloud's list prices). */
  simulated: (provider: string) => boolean;
}

const DAY_MS = 86_400_000;

/**
 * One ledger line as a FOCUS record. Costs are the line's own integer micro-dollars (BilledCost = EffectiveCost =
 * ListCost: list prices, no discounts or commitments); quantities are its hours. FOCUS date-times have whole
 * seconds, so the charge period is the line's UTC day (clipped to the asked period, to the second); the exact
 * moments are in x_UsageStart and x_UsageEnd.
 */
export function focusRecord(line: LedgerLine, ctx: FocusContext): FocusRecord {
  const startMs = Date.parse(line.start);
  const dayStart = Math.floor(startMs / DAY_MS) * DAY_MS;
  const chargeStart = Math.max(dayStart, Math.floor(ctx.fromMs / 1000) * 1000);
  const chargeEnd = Math.min(dayStart + DAY_MS, Math.ceil(ctx.toMs / 1000) * 1000);
  const day = new Date(dayStart);
  const billingStart = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1);
  const billingEnd = Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 1);
  const names = cloudNamesOf(line.priceKey);
  const cost = usdDecimal(line.costMicros);
  const unitPrice = line.unitPriceMicros === null ? null : usdDecimal(line.unitPriceMicros);
  const hours = hoursDecimal(line.durationMs);
  const sku = `${line.priceKey}/${line.region}/${line.flavor}/${line.market}`;
  return {
    BilledCost: cost,
    EffectiveCost: cost,
    ListCost: cost,
    ContractedCost: cost,
    ListUnitPrice: unitPrice,
    ContractedUnitPrice: unitPrice,
    BillingCurrency: 'USD',
    // The account a line is billed to, as Tessera knows it: the configured provider (one cloud account each).
    BillingAccountId: line.provider,
    BillingAccountName: line.provider,
    BillingPeriodStart: focusTime(billingStart),
    BillingPeriodEnd: focusTime(billingEnd),
    ChargePeriodStart: focusTime(chargeStart),
    ChargePeriodEnd: focusTime(chargeEnd),
    ChargeCategory: 'Usage',
    ChargeClass: null,
    ChargeDescription: describe(line),
    ChargeFrequency: 'Usage-Based',
    ConsumedQuantity: hours,
    ConsumedUnit: 'Hours',
    PricingCategory: line.market === 'spot' ? 'Dynamic' : 'Standard',
    PricingQuantity: hours,
    PricingUnit: 'Hours',
    ProviderName: names.provider,
    PublisherName: names.provider,
    InvoiceIssuerName: names.provider,
    RegionId: line.region,
    RegionName: line.region,
    AvailabilityZone: line.zone,
    ResourceId: line.externalId ?? line.instanceId,
    ResourceName: line.name,
    ResourceType: resourceTypeOf(line.kind),
    ServiceCategory: 'Compute',
    ServiceName: names.service,
    SkuId: sku,
    SkuPriceId: line.priceValidFrom === null ? null : `${sku}@${line.priceValidFrom}`,
    SubAccountId: line.project,
    SubAccountName: line.project,
    Tags: JSON.stringify(sortedLabels(line.labels)),
    x_TesseraProvider: line.provider,
    x_TesseraInstanceId: line.instanceId,
    x_Project: line.project,
    x_State: line.state,
    x_Flavor: line.flavor,
    x_Market: line.market,
    x_Simulated: ctx.simulated(line.provider) ? 'true' : 'false',
    x_UsageStart: line.start,
    x_UsageEnd: line.end,
    x_PriceValidFrom: line.priceValidFrom,
    x_PriceNote: line.priceNote,
  };
}

/** The record's fields in column order. */
export function focusFields(r: FocusRecord): (string | null)[] {
  return FOCUS_COLUMNS.map((c) => r[c]);
}

/** `YYYY-MM-DDTHH:mm:ssZ`: FOCUS's date-time format (UTC, whole seconds). */
function focusTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function describe(line: LedgerLine): string {
  const what = `${line.flavor} (${line.market}) in ${line.region}`;
  if (line.state === 'stopped') return `${what}, stopped: disks only, not priced by the catalog`;
  if (line.unitPriceMicros === null) return `${what}, running: no catalog price (costed at 0)`;
  return `${what}, running at ${usdDecimal(line.unitPriceMicros)} USD per hour`;
}

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
