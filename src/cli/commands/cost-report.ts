import { InvalidArgumentError, type Command } from 'commander';
import { monthPeriod } from '../../metering/allocation/report-period.js';
import type { CostReport, CostRow } from '../../metering/allocation/cost-report.js';
import type { BudgetView } from '../../metering/budgets/budget.js';
import { csvRecord } from '../../metering/focus/csv.js';
import { usdDecimal } from '../../metering/focus/decimal.js';
import type { Page } from '../api-types.js';
import { commandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { formatUsd } from '../../core/money.js';
import { usd, usdPerHour } from '../format.js';
import type { CliIo, OutputStream } from '../io.js';
import type { TableView } from '../output.js';
import { resourceName } from '../parsers.js';

const MODES = ['none', 'show', 'even', 'proportional'];

interface PeriodFlags {
  from?: string;
  to?: string;
  month?: string;
}

interface ReportFlags extends PeriodFlags {
  by: string;
  idle: string;
  shared: string;
}

/**
 * `tessera cost report`, `cost export` and `cost budget …`, added to an existing `cost` command group (the group
 * itself, with `cost model`, is made in cost.ts).
 */
export function registerCostReportCommands(cost: Command, io: CliIo): void {
  periodOptions(
    cost
      .command('report')
      .description('what a period cost, grouped by project, provider, region, kind, flavor, market, state, day, month or label:<key>; with idle capacity and shared cost')
      .option('--by <dimensions>', 'comma-separated groupings, e.g. project,provider or label:team,day', 'project')
      .option('--idle <mode>', 'idle capacity of private providers: none, show (as project "(idle)"), even or proportional (over the projects that used them)', modeOf('--idle'), 'show')
      .option('--shared <mode>', 'instances labelled tessera.io/shared=true: none, show (as project "(shared)"), even or proportional', modeOf('--shared'), 'none'),
  ).action(async (flags: ReportFlags, command: Command) => {
    const ctx = commandContext(command, io);
    const report = await ctx.client.get<CostReport>('/v1/cost/report', { by: flags.by, ...periodQuery(flags), idle: flags.idle, shared: flags.shared });
    // `-o csv` gives the report's raw figures (µ$ as decimal USD, hours), not the table's rounded text.
    if (ctx.printer.format === 'csv') {
      io.stdout.write(reportCsv(report));
      return;
    }
    ctx.printer.result(report, () => reportTable(report));
    // Beside the table, not in it: stdout stays one table for grep and awk.
    if (ctx.printer.format === 'table') for (const n of report.notes) io.stderr.write(`note: ${n}\n`);
  });

  periodOptions(
    cost
      .command('export')
      .description('the usage ledger of a period as a FinOps FOCUS 1.x CSV file on stdout (tessera cost export --month 2026-01 > jan.csv)')
      .option('--format <format>', 'focus (the only one so far)', 'focus'),
  ).action(async (flags: PeriodFlags & { format: string }, command: Command) => {
    if (flags.format !== 'focus') throw new UsageError(`--format must be focus, not "${flags.format}"`);
    const ctx = commandContext(command, io);
    const response = await ctx.client.openStream('/v1/cost/export', { format: flags.format, ...periodQuery(flags) }, new AbortController().signal);
    await copyTo(response, io.stdout);
  });

  registerBudgetCommands(cost, io);
}

function registerBudgetCommands(cost: Command, io: CliIo): void {
  const budget = cost.command('budget').description("projects' monthly budgets: a BudgetThreshold event the first time each threshold is reached in a month");

  budget
    .command('set')
    .description('set or change a project’s monthly budget (project admins)')
    .argument('<project>', 'the project', resourceName)
    .requiredOption('--monthly <usd>', 'the monthly amount in USD, e.g. 500 or 499.99', usdAmount)
    .option('--thresholds <percents>', 'comma-separated percentages of the amount (default 50,80,100)', percentages)
    .action(async (project: string, flags: { monthly: string; thresholds?: number[] }, command: Command) => {
      const ctx = commandContext(command, io);
      const b = await ctx.client.put<BudgetView>(`/v1/projects/${encodeURIComponent(project)}/budget`, { monthlyUsd: flags.monthly, thresholds: flags.thresholds });
      ctx.printer.result(b, () =>
        `Budget of ${b.project}: ${usd(b.monthlyMicros)} a month, thresholds ${b.thresholds.map((t) => `${t}%`).join(', ')}. ` +
          `Spent in ${b.month}: ${usd(b.spentMicros)} (${b.percentSpent}%), forecast ${usd(b.forecastMicros)}.`,
      );
    });

  budget
    .command('list')
    .description('budgets of your projects: spent this month, forecast to month end at the current run-rate, thresholds crossed')
    .action(async (_flags: unknown, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<Page<BudgetView>>('/v1/budgets');
      ctx.printer.result(page.items, () => budgetTable(page.items));
    });

  budget
    .command('delete')
    .description('remove a project’s budget (project admins); its threshold events stay in the log')
    .argument('<project>', 'the project', resourceName)
    .action(async (project: string, _flags: unknown, command: Command) => {
      const ctx = commandContext(command, io);
      const r = await ctx.client.delete<{ project: string; removed: boolean }>(`/v1/projects/${encodeURIComponent(project)}/budget`);
      ctx.printer.result(r, () => `Budget of ${project} removed.`);
    });
}

function periodOptions(c: Command): Command {
  return c
    .option('--from <time>', 'start, inclusive: a date (UTC midnight) or ISO 8601 time (default: the start of this month)')
    .option('--to <time>', 'end, exclusive (default: now)')
    .option('--month <YYYY-MM>', 'a whole UTC month, instead of --from and --to');
}

function periodQuery(flags: PeriodFlags): { from?: string; to?: string } {
  if (flags.month === undefined) return { from: flags.from, to: flags.to };
  if (flags.from !== undefined || flags.to !== undefined) throw new UsageError('give either --month or --from/--to, not both');
  try {
    return monthPeriod(flags.month);
  } catch (e) {
    throw new UsageError(`--month: ${(e as Error).message}`);
  }
}

function modeOf(option: string): (value: string) => string {
  return (value) => {
    if (!MODES.includes(value)) throw new InvalidArgumentError(`${option} is one of ${MODES.join(', ')}`);
    return value;
  };
}

function usdAmount(value: string): string {
  if (!/^\d+(\.\d{1,6})?$/.test(value.trim()) || Number(value) <= 0) throw new InvalidArgumentError('expected an amount in USD above 0, e.g. 500 or 499.99');
  return value.trim();
}

function percentages(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 1000)) {
    throw new InvalidArgumentError('expected whole percentages from 1 to 1000, comma-separated, e.g. 50,80,100');
  }
  return parts.map(Number);
}

/** The report for people: a row per group and a total; idle and shared columns only when there is any. */
function reportTable(r: CostReport): TableView {
  const withIdle = r.rows.some((x) => x.idleMicros !== 0);
  const withShared = r.rows.some((x) => x.sharedMicros !== 0);
  const figures = (x: Omit<CostRow, 'keys'>) => [
    money(x.costMicros),
    ...(withIdle || withShared ? [money(x.usageMicros)] : []),
    ...(withIdle ? [money(x.idleMicros)] : []),
    ...(withShared ? [money(x.sharedMicros)] : []),
    x.instanceHours,
    x.unpricedHours,
    x.lines,
  ];
  return {
    head: [...r.by.map((d) => d.toUpperCase()), 'COST', ...(withIdle || withShared ? ['USAGE'] : []), ...(withIdle ? ['IDLE'] : []), ...(withShared ? ['SHARED'] : []), 'HOURS', 'UNPRICED H', 'LINES'],
    rows: [
      ...r.rows.map((x) => [...r.by.map((d) => x.keys[d] ?? null), ...figures(x)]),
      ['TOTAL', ...r.by.slice(1).map(() => ''), ...figures({ ...r.total, unpricedHours: r.unpricedHours })],
    ],
  };
}

/** Exact dollars, the sign before the symbol: shared cost given away is negative. */
function money(micros: number): string {
  return `${micros < 0 ? '-' : ''}$${formatUsd(Math.abs(micros))}`;
}

/** The rows as RFC 4180 CSV, money as exact decimals: what a spreadsheet imports without rounding anything. */
function reportCsv(r: CostReport): string {
  let out = csvRecord([...r.by, 'cost_usd', 'usage_usd', 'idle_usd', 'shared_usd', 'instance_hours', 'unpriced_hours', 'lines']);
  for (const x of r.rows) {
    out += csvRecord([
      ...r.by.map((d) => x.keys[d] ?? null),
      usdDecimal(x.costMicros),
      usdDecimal(x.usageMicros),
      usdDecimal(x.idleMicros),
      usdDecimal(x.sharedMicros),
      String(x.instanceHours),
      String(x.unpricedHours),
      String(x.lines),
    ]);
  }
  return out;
}

function budgetTable(items: BudgetView[]): TableView {
  return {
    head: ['PROJECT', 'MONTHLY', 'SPENT', '%', 'FORECAST', 'RUN-RATE', 'THRESHOLDS', 'CROSSED'],
    rows: items.map((b) => [
      b.project,
      usd(b.monthlyMicros),
      usd(b.spentMicros),
      `${b.percentSpent}%`,
      usd(b.forecastMicros),
      usdPerHour(b.runRateMicrosPerHour),
      b.thresholds.map((t) => `${t}%`).join(','),
      b.crossed.length === 0 ? '-' : b.crossed.map((c) => `${c.percent}% (${c.at.slice(0, 10)})`).join(', '),
    ]),
  };
}

/** Copies a streamed answer to stdout as it arrives, waiting when stdout is slower than the server. */
async function copyTo(response: Response, out: OutputStream): Promise<void> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  const drainable = out as OutputStream & { once?: (event: 'drain', listener: () => void) => unknown };
  try {
    for await (const chunk of response.body) {
      const written = out.write(decoder.decode(chunk as Uint8Array, { stream: true }));
      if (written === false && drainable.once) await new Promise<void>((resolve) => drainable.once!('drain', resolve));
    }
  } catch (e) {
    throw new Error(`the export was cut short (${(e as Error).message}): the file is incomplete; run the export again`);
  }
  out.write(decoder.decode());
}

