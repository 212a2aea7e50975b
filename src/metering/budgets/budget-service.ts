import { ConflictError, InvalidInputError, NotFoundError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { formatUsd, usdToMicros } from '../../core/money.js';
import type { Store } from '../../store/store.js';
import {
  BUDGET_ID_PREFIX,
  BUDGET_KIND,
  BUDGET_NAME,
  DEFAULT_THRESHOLDS,
  MAX_MONTHLY_USD,
  type Budget,
  type BudgetSet,
  type BudgetSpec,
  type BudgetStatus,
  type BudgetView,
} from './budget.js';
import { monthToDate, type LinesSource, type MonthToDate } from './month-to-date.js';
import { crossingsOf, crossingsStillHeld } from './threshold-crossing.js';

const PAGE = 1_000;

/** Projects' monthly budgets (KEMI): set, removed and listed with what each project has spent this month. */
export class BudgetService {
  constructor(
    private readonly store: Store,
    private readonly ledger: LinesSource,
  ) {}

  /** Sets (or changes) a project's monthly budget; thresholds still reached under the new amount stay crossed. */
  async set(project: string, input: BudgetSet): Promise<BudgetView> {
    const spec = budgetSpecOf(input);
    const now = this.store.nowIso();
    const month = now.slice(0, 7);
    const spent = (await monthToDate(this.ledger, [project], now)).get(project)!;
    const message = `monthly budget of project ${project}: $${formatUsd(spec.monthlyMicros)}, thresholds ${spec.thresholds.map((t) => `${t}%`).join(', ')}`;
    for (let attempt = 0; ; attempt++) {
      const existing = await this.find(project);
      if (existing) {
        const updated = await this.store.update<BudgetSpec, BudgetStatus>(
          BUDGET_KIND,
          existing.id,
          (b) => {
            if (b.deletedAt !== null) return null;
            const crossed = crossingsStillHeld(spec, b.status, month, spent.spentMicros);
            return { ...b, spec, status: { ...b.status, month, crossed } };
          },
          { event: () => ({ type: 'Updated', reason: 'Requested', message }) },
        );
        if (updated.deletedAt === null) return viewOf(updated, now, spent);
        continue; // removed meanwhile: create a new one
      }
      try {
        const created = await this.store.create<BudgetSpec, BudgetStatus>(
          { id: newId(BUDGET_ID_PREFIX), kind: BUDGET_KIND, project, name: BUDGET_NAME, labels: {}, spec, status: { phase: 'Active', month, crossed: [] } },
          { type: 'Created', reason: 'Requested', message },
        );
        return viewOf(created, now, spent);
      } catch (e) {
        // Another request created it a moment ago: change that one instead.
        if (!(e instanceof ConflictError) || attempt > 2) throw e;
      }
    }
  }

  /** Removes a project's budget; its threshold events stay in the log. */
  async remove(project: string): Promise<void> {
    const existing = await this.find(project);
    if (!existing) throw new NotFoundError(`project "${project}" has no budget: set one with PUT /v1/projects/${project}/budget (tessera cost budget set ${project} --monthly 500)`, { project });
    await this.store.update<BudgetSpec, BudgetStatus>(
      BUDGET_KIND,
      existing.id,
      (b) => (b.deletedAt !== null ? null : { ...b, deletedAt: this.store.nowIso(), status: { ...b.status, phase: 'Deleted' } }),
      { event: () => ({ type: 'Deleted', reason: 'Requested', message: `monthly budget of project ${project} removed` }) },
    );
  }

  /** Budgets of these projects (every project: undefined), with month-to-date spend and forecast. */
  async list(projects?: string[]): Promise<BudgetView[]> {
    const budgets = await this.active(projects);
    const now = this.store.nowIso();
    const mtd = await monthToDate(this.ledger, budgets.map((b) => b.project), now);
    return budgets.map((b) => viewOf(b, now, mtd.get(b.project)!)).sort((a, b) => a.project.localeCompare(b.project));
  }

  /** Every budget in force (of these projects). */
  async active(projects?: string[]): Promise<Budget[]> {
    const out: Budget[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<Store['list']>> = await this.store.list<BudgetSpec, BudgetStatus>(BUDGET_KIND, { project: projects, limit: PAGE, cursor });
      out.push(...(page.items as Budget[]));
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  async find(project: string): Promise<Budget | null> {
    const page = await this.store.list<BudgetSpec, BudgetStatus>(BUDGET_KIND, { project, name: BUDGET_NAME, limit: 1 });
    return page.items[0] ?? null;
  }
}

/** The stored spec of a request: the amount in exact micro-dollars, thresholds unique and ascending. */
export function budgetSpecOf(input: BudgetSet): BudgetSpec {
  const text = typeof input.monthlyUsd === 'number' ? String(input.monthlyUsd) : input.monthlyUsd.trim();
  if (text.startsWith('-')) throw new InvalidInputError(`monthlyUsd must be more than 0, not ${text}`, { field: 'monthlyUsd' });
  // Checked here rather than rounded: a budget is exactly what its admin wrote, to the micro-dollar.
  if (!/^\d+(\.\d{1,6})?$/.test(text)) {
    throw new InvalidInputError(`monthlyUsd ${JSON.stringify(input.monthlyUsd)} is not an amount in USD with at most 6 decimals: give a number such as 500 or "499.99"`, { field: 'monthlyUsd' });
  }
  const micros = usdToMicros(text);
  if (micros <= 0 || micros > MAX_MONTHLY_USD * 1_000_000) {
    throw new InvalidInputError(`monthlyUsd must be more than 0 and at most ${MAX_MONTHLY_USD.toLocaleString('en-US')}, not ${text}`, { field: 'monthlyUsd' });
  }
  const thresholds = [...new Set(input.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b);
  return { monthlyMicros: micros, thresholds };
}

function viewOf(b: Budget, now: string, m: MonthToDate): BudgetView {
  const month = now.slice(0, 7);
  return {
    id: b.id,
    project: b.project,
    monthlyMicros: b.spec.monthlyMicros,
    thresholds: b.spec.thresholds,
    month,
    spentMicros: m.spentMicros,
    percentSpent: Math.round((m.spentMicros * 1000) / b.spec.monthlyMicros) / 10,
    runRateMicrosPerHour: m.runRateMicrosPerHour,
    forecastMicros: m.forecastMicros,
    crossed: crossingsOf(b.status, month),
    updatedAt: b.updatedAt,
  };
}
