import type { BudgetSpec, BudgetStatus, ThresholdCrossing } from './budget.js';

/** Whether `spent` has reached `percent` % of `budget` (exact: integers, never a float ratio). */
export function reached(spentMicros: number, budgetMicros: number, percent: number): boolean {
  return BigInt(spentMicros) * 100n >= BigInt(percent) * BigInt(budgetMicros);
}

/** The crossings recorded for `month` (an earlier month's no longer count). */
export function crossingsOf(status: BudgetStatus, month: string): ThresholdCrossing[] {
  return status.month === month ? status.crossed : [];
}

/**
 * The thresholds `spent` has reached this month that are not recorded yet: each is recorded (and announced) once
 * a month, the first time it is reached.
 */
export function newCrossings(spec: BudgetSpec, status: BudgetStatus, month: string, spentMicros: number, at: string): ThresholdCrossing[] {
  const recorded = new Set(crossingsOf(status, month).map((c) => c.percent));
  return spec.thresholds
    .filter((p) => !recorded.has(p) && reached(spentMicros, spec.monthlyMicros, p))
    .map((percent) => ({ percent, at, spentMicros, budgetMicros: spec.monthlyMicros }));
}

/**
 * After the amount or thresholds change: the crossings of this month that still hold under the new budget. A
 * threshold no longer reached (the amount was raised) may be crossed, and announced, again.
 */
export function crossingsStillHeld(spec: BudgetSpec, status: BudgetStatus, month: string, spentMicros: number): ThresholdCrossing[] {
  return crossingsOf(status, month).filter((c) => spec.thresholds.includes(c.percent) && reached(spentMicros, spec.monthlyMicros, c.percent));
}
