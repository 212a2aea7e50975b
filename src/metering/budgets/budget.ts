import { z } from 'zod';
import type { Resource } from '../../core/resource.js';

/**
 * A project's monthly budget, stored as a resource of kind Budget (one per project), so that setting it, changing
 * it and each threshold it crosses are events in the log, visible in GET /v1/events and the watch stream.
 */
export const BUDGET_KIND = 'Budget';
/** Every project has at most one budget, under this name. */
export const BUDGET_NAME = 'monthly';
export const BUDGET_ID_PREFIX = 'b';
export const DEFAULT_THRESHOLDS = [50, 80, 100];
/** The event a crossed threshold writes (reason: the threshold, e.g. `80%`). */
export const THRESHOLD_EVENT = 'BudgetThreshold';

/** A billion dollars a month: far above any real budget, and well inside exact integer micro-dollars. */
export const MAX_MONTHLY_USD = 1_000_000_000;

export interface BudgetSpec {
  monthlyMicros: number;
  /** Percentages of the monthly amount, ascending, e.g. [50, 80, 100]. */
  thresholds: number[];
}

/** A threshold crossed, with the figures of that moment. */
export interface ThresholdCrossing {
  percent: number;
  at: string;
  spentMicros: number;
  budgetMicros: number;
}

export interface BudgetStatus {
  phase: 'Active' | 'Deleted';
  /** The UTC month (YYYY-MM) `crossed` belongs to; crossings of an earlier month no longer count. */
  month: string | null;
  crossed: ThresholdCrossing[];
}

export type Budget = Resource<BudgetSpec, BudgetStatus>;

export const BudgetSet = z
  .object({
    monthlyUsd: z
      .union([z.number(), z.string()])
      .describe('the monthly amount in USD, e.g. 500 or "499.99" (at most 6 decimals)'),
    thresholds: z
      .array(z.number().int('thresholds are whole percentages, e.g. 80').min(1, 'a threshold is at least 1 (%)').max(1000, 'a threshold is at most 1000 (%)'))
      .min(1, 'give at least one threshold, e.g. [50, 80, 100]')
      .max(10, 'give at most 10 thresholds')
      .optional()
      .describe('percentages of the monthly amount that write a BudgetThreshold event when first crossed in a month (default 50, 80, 100)'),
  })
  .strict()
  .meta({ id: 'BudgetSet' });
export type BudgetSet = z.infer<typeof BudgetSet>;

const Micros = z.number().int();

export const BudgetView = z
  .object({
    id: z.string(),
    project: z.string(),
    monthlyMicros: Micros,
    thresholds: z.array(z.number().int()),
    month: z.string().describe('the current UTC month, YYYY-MM'),
    spentMicros: Micros.describe('month to date, from the usage ledger'),
    percentSpent: z.number().describe('spent over the monthly amount, in % (1 decimal)'),
    runRateMicrosPerHour: Micros.describe('what the project’s running instances cost an hour now'),
    forecastMicros: Micros.describe('spent + run-rate × the hours left in the month'),
    crossed: z.array(z.object({ percent: z.number().int(), at: z.string(), spentMicros: Micros, budgetMicros: Micros })).describe('thresholds crossed this month, and when'),
    updatedAt: z.string(),
  })
  .meta({ id: 'Budget' });
export type BudgetView = z.infer<typeof BudgetView>;
