import { basename } from 'node:path';
import type { Command } from 'commander';
import type { CatalogPrice } from '../../metering/catalog/catalog-price.js';
import type { Page } from '../api-types.js';
import { commandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { usdPerHour } from '../format.js';
import type { CliIo } from '../io.js';
import type { TableView } from '../output.js';
import { positiveInteger, positiveNumber } from '../parsers.js';
import { readTextFile } from '../read-text-file.js';

interface ListFlags {
  provider?: string;
  region?: string;
  flavor?: string;
  market?: string;
  vcpus?: number;
  memory?: number;
  at?: string;
  limit?: number;
}

interface ImportFlags {
  machineTypes?: string;
  effective?: string;
}

/** What POST /v1/catalog/import and /diff answer. */
interface ImportReport {
  format: string;
  source: string;
  applied: boolean;
  added: number;
  changed: number;
  withdrawn: number;
  unchanged: number;
  duplicates: number;
  changes: {
    change: 'added' | 'changed' | 'withdrawn';
    provider: string;
    region: string;
    flavor: string;
    market: string;
    fromMicrosPerHour: number | null;
    toMicrosPerHour: number | null;
    at: string;
  }[];
  skipped: { entry: string; reason: string }[];
  skippedCount: number;
}

const HOURS_PER_MONTH = 730;

export function registerCatalogCommands(program: Command, io: CliIo): void {
  const catalog = program
    .command('catalog')
    .description('list prices of every offer, with their validity periods; imports of published price lists');

  catalog
    .command('list')
    .description('prices in force now (or --at a time), cheapest first')
    .option('--provider <cloud>', 'only this cloud or provider (aws, azure, gcp, …)')
    .option('--region <region>', 'only this region')
    .option('--flavor <flavor>', 'only this flavor')
    .option('--market <market>', 'on-demand or spot')
    .option('--vcpus <n>', 'at least this many vCPUs', positiveNumber)
    .option('--memory <GiB>', 'at least this much memory, in GiB', positiveNumber)
    .option('--at <time>', 'prices in force at this time (ISO 8601, e.g. 2026-06-01)')
    .option('--limit <n>', 'at most this many rows (default 1000)', positiveInteger)
    .action(async (flags: ListFlags, command: Command) => {
      const ctx = commandContext(command, io);
      if (flags.market !== undefined && flags.market !== 'on-demand' && flags.market !== 'spot') {
        throw new UsageError(`--market must be on-demand or spot, not "${flags.market}"`);
      }
      const page = await ctx.client.get<Page<CatalogPrice>>('/v1/catalog', {
        provider: flags.provider,
        region: flags.region,
        flavor: flags.flavor,
        market: flags.market,
        vcpus: flags.vcpus,
        memoryGiB: flags.memory,
        at: flags.at,
        limit: flags.limit,
      });
      ctx.printer.result(page.items, () => priceTable(page.items));
      if (page.nextCursor) io.stderr.write(`(more rows: raise --limit or narrow the filters)\n`);
    });

  catalog
    .command('history')
    .description("every validity period of one offer's price")
    .argument('<provider>')
    .argument('<region>')
    .argument('<flavor>')
    .option('--market <market>', 'on-demand (default) or spot', 'on-demand')
    .action(async (provider: string, region: string, flavor: string, flags: { market: string }, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<Page<CatalogPrice>>('/v1/catalog/history', { provider, region, flavor, market: flags.market });
      ctx.printer.result(page.items, () => ({
        head: ['VALID FROM', 'VALID TO', 'PRICE', 'SOURCE'],
        rows: page.items.map((p) => [p.validFrom, p.validTo ?? '(in force)', usdPerHour(p.priceMicrosPerHour), p.source]),
      }));
    });

  const importOptions = (c: Command) =>
    c
      .argument('<file>', 'the public-vms CSV, an AWS GetProducts / offer file, Azure Retail Prices pages or GCP Cloud Billing SKU pages (JSON)')
      .option('--machine-types <file>', 'for a GCP SKU list: the machine types to price (a machineTypes.aggregatedList answer)')
      .option('--effective <time>', "when the changes take effect (default: the source's own date, else now)");

  importOptions(catalog.command('import').description('import a price list: changed prices open new validity periods; the same file twice changes nothing')).action(
    async (file: string, flags: ImportFlags, command: Command) => {
      const ctx = commandContext(command, io);
      const report = await ctx.client.post<ImportReport>('/v1/catalog/import', await priceListBody(file, flags));
      ctx.printer.result(report, () => reportText(report));
    },
  );

  importOptions(catalog.command('diff').description('what importing a price list would change, like a plan: nothing is changed')).action(
    async (file: string, flags: ImportFlags, command: Command) => {
      const ctx = commandContext(command, io);
      const report = await ctx.client.post<ImportReport>('/v1/catalog/diff', await priceListBody(file, flags));
      ctx.printer.result(report, () => reportText(report));
    },
  );
}

/** The file is read here and sent in the body: the server may not see the client's disk. */
async function priceListBody(file: string, flags: ImportFlags): Promise<Record<string, string | undefined>> {
  return {
    content: await readTextFile(file, 'the price list'),
    source: basename(file),
    machineTypes: flags.machineTypes ? await readTextFile(flags.machineTypes, 'the machine types file') : undefined,
    effective: flags.effective,
  };
}

function priceTable(items: CatalogPrice[]): TableView {
  return {
    head: ['PROVIDER', 'REGION', 'FLAVOR', 'VCPUS', 'MEMORY', 'MARKET', 'PRICE', 'PER MONTH', 'SINCE'],
    rows: items.map((p) => [
      p.provider,
      p.region,
      p.flavor,
      p.vcpus,
      `${p.memoryGiB} GiB`,
      p.market,
      usdPerHour(p.priceMicrosPerHour),
      `$${(Math.round((p.priceMicrosPerHour * HOURS_PER_MONTH) / 10_000) / 100).toFixed(2)}`,
      p.validFrom.startsWith('1970-') ? '(first import)' : p.validFrom.slice(0, 10),
    ]),
  };
}

/** A plan-like summary: one line per change (the first 50), then the counts. */
function reportText(r: ImportReport): string {
  const sign = { added: '+', changed: '~', withdrawn: '-' } as const;
  const lines = r.changes.slice(0, 50).map((c) => {
    const price =
      c.change === 'changed'
        ? `${usdPerHour(c.fromMicrosPerHour)} → ${usdPerHour(c.toMicrosPerHour)}`
        : usdPerHour(c.change === 'added' ? c.toMicrosPerHour : c.fromMicrosPerHour);
    return `  ${sign[c.change]} ${c.provider}/${c.region}/${c.flavor} ${c.market}  ${price}${c.at && !c.at.startsWith('1970-') ? `  from ${c.at}` : ''}`;
  });
  const total = r.added + r.changed + r.withdrawn;
  if (total > 50) lines.push(`  … and ${total - 50} more (-o json lists up to 1000)`);
  const verb = r.applied ? 'Imported' : total === 0 ? 'No changes in' : 'Would import';
  lines.push(
    `${verb} ${r.source} (${r.format}): ${r.added} added, ${r.changed} changed, ${r.withdrawn} withdrawn, ${r.unchanged} unchanged` +
      `${r.duplicates ? `, ${r.duplicates} duplicate entries ignored` : ''}${r.skippedCount ? `, ${r.skippedCount} entries skipped` : ''}.`,
  );
  for (const s of r.skipped.slice(0, 5)) lines.push(`  skipped ${s.entry}: ${s.reason}`);
  if (r.skippedCount > 5) lines.push(`  … ${r.skippedCount - 5} more skipped (-o json lists them)`);
  return lines.join('\n');
}
