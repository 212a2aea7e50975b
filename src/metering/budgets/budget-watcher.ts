import type { Logger } from 'pino';
import { INSTANCE_KIND } from '../../core/instance.js';
import { formatUsd } from '../../core/money.js';
import type { Store, StoredEvent } from '../../store/store.js';
import { BUDGET_KIND, THRESHOLD_EVENT, type Budget, type BudgetSpec, type BudgetStatus, type ThresholdCrossing } from './budget.js';
import type { BudgetService } from './budget-service.js';
import { monthToDate, type LinesSource, type MonthToDate } from './month-to-date.js';
import { crossingsOf, newCrossings } from './threshold-crossing.js';

const LEASE = 'metering/budgets';
const LEASE_MS = 120_000;
/** Spend grows while instances run, with no event to say so: budgets are looked at every minute... */
const INTERVAL_MS = 60_000;
/** ...and soon after instances change (a burst of events is looked at once)... */
const AFTER_EVENTS_MS = 2_000;
/** ...but not more often than this, whatever the rate of events: each look reads the month's ledger lines. */
const MIN_SPACING_MS = 10_000;

/** A threshold written to the event log by one check. */
export interface ThresholdAnnounced {
  project: string;
  crossing: ThresholdCrossing;
}

/**
 * Watches projects' month-to-date cost against their budgets and writes a BudgetThreshold event (reason `80%`)
 * the first time in a month each threshold is reached. One process at a time does it (a lease in the store);
 * the check itself is safe to run anywhere: a threshold already recorded for the month is never written again,
 * because the record and its event are one optimistic write of the Budget resource.
 */
export class BudgetWatcher {
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private lastRunAt = 0;
  private readonly onEvents = (events: StoredEvent[]) => {
    if (this.soon || !events.some((e) => e.kind === INSTANCE_KIND)) return;
    const wait = Math.max(AFTER_EVENTS_MS, this.lastRunAt + MIN_SPACING_MS - Date.now());
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.tick();
    }, wait);
    this.soon.unref();
  };

  constructor(
    private readonly store: Store,
    private readonly ledger: LinesSource,
    private readonly budgets: BudgetService,
    private readonly holder: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), INTERVAL_MS);
    this.timer.unref();
    this.store.notifier.on('events', this.onEvents);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.store.notifier.off('events', this.onEvents);
    await this.running?.catch(() => undefined);
  }

  /** One look at every budget: the thresholds newly reached, each recorded with its event. */
  async checkOnce(): Promise<ThresholdAnnounced[]> {
    const budgets = await this.budgets.active();
    if (budgets.length === 0) return [];
    const now = this.store.nowIso();
    const spent = await monthToDate(this.ledger, [...new Set(budgets.map((b) => b.project))], now);
    const announced: ThresholdAnnounced[] = [];
    for (const b of budgets) {
      const m = spent.get(b.project)!;
      if (newCrossings(b.spec, b.status, now.slice(0, 7), m.spentMicros, now).length === 0) continue;
      announced.push(...(await this.record(b, m, now)));
    }
    return announced;
  }

  /** Records the crossings in the budget's status and writes one event each, in one write; none if already there. */
  private async record(b: Budget, m: MonthToDate, now: string): Promise<ThresholdAnnounced[]> {
    const month = now.slice(0, 7);
    let added: ThresholdCrossing[] = [];
    await this.store.update<BudgetSpec, BudgetStatus>(
      BUDGET_KIND,
      b.id,
      (current) => {
        // Read again on every attempt: the budget may have been changed, or another process may have recorded them.
        added = current.deletedAt === null ? newCrossings(current.spec, current.status, month, m.spentMicros, now) : [];
        if (added.length === 0) return null;
        return { ...current, status: { ...current.status, month, crossed: [...crossingsOf(current.status, month), ...added] } };
      },
      { event: () => added.map((c) => ({ type: THRESHOLD_EVENT, reason: `${c.percent}%`, message: thresholdMessage(b.project, month, c, m) })) },
    );
    return added.map((crossing) => ({ project: b.project, crossing }));
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.lastRunAt = Date.now();
    const run = (async () => {
      if (!(await this.store.tryLease(LEASE, this.holder, LEASE_MS))) return;
      const announced = await this.checkOnce();
      for (const a of announced) this.logger.info({ project: a.project, threshold: a.crossing.percent, spentMicros: a.crossing.spentMicros }, 'budget threshold crossed');
    })();
    this.running = run;
    try {
      await run;
    } catch (e) {
      this.logger.warn({ err: { message: (e as Error).message } }, 'budget check failed; will retry');
    } finally {
      this.running = null;
    }
  }
}

function thresholdMessage(project: string, month: string, c: ThresholdCrossing, m: MonthToDate): string {
  const share = (Number((BigInt(c.spentMicros) * 1000n) / BigInt(c.budgetMicros)) / 10).toFixed(1);
  return (
    `project ${project} has spent $${formatUsd(c.spentMicros)} of its $${formatUsd(c.budgetMicros)} budget for ${month} (${share}%), past the ${c.percent}% threshold; ` +
    `at the current run-rate ($${formatUsd(m.runRateMicrosPerHour)}/h) it will have spent $${formatUsd(m.forecastMicros)} by the end of the month`
  );
}
