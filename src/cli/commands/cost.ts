import type { Command } from 'commander';
import type { CostModelApplyOutcome, CostModelFlavorPrice, CostModelVersion, CostModelView } from '../../metering/cost-model/cost-model-view.js';
import type { Page } from '../api-types.js';
import { commandContext } from '../context.js';
import { usdPerHour } from '../format.js';
import type { CliIo } from '../io.js';

const HOURS_PER_MONTH = 730;
const NANOS_PER_USD = 1_000_000_000;

/**
 * `tessera cost`: what things cost. `cost model` shows private providers' cost models; the cost reports and
 * exports join this group (each registered here, on `cost`).
 */
export function registerCostCommands(program: Command, io: CliIo): Command {
  const cost = program.command('cost').description('what the estate costs: private-cloud cost models');
  registerCostModelCommands(cost, io);
  return cost;
}

function registerCostModelCommands(cost: Command, io: CliIo): void {
  const model = cost
    .command('model')
    .description("private providers' cost models: servers, power, space, network, support and people turned into prices per vCPU-hour, GiB-hour and server-hour");

  model
    .command('show')
    .description('a cost model: its inputs, the cost of a server-hour by input, the unit rates, and each flavor beside the cheapest comparable public offer')
    .argument('[provider]', 'one provider (default: every provider with a cost model)')
    .action(async (provider: string | undefined, _flags: unknown, command: Command) => {
      const ctx = commandContext(command, io);
      if (provider !== undefined) {
        const m = await ctx.client.get<CostModelView>(`/v1/cost/models/${encodeURIComponent(provider)}`);
        ctx.printer.result(m, () => modelText(m));
        return;
      }
      const page = await ctx.client.get<Page<CostModelView>>('/v1/cost/models');
      ctx.printer.result(page.items, () =>
        page.items.length === 0 ? 'No provider has a cost model: add a costModel block to a private provider in tessera.yaml.' : page.items.map(modelText).join('\n\n'),
      );
    });

  model
    .command('apply')
    .description('apply a configured model again (after a public price import, or when the provider offers other flavors); an unchanged model changes nothing')
    .argument('<provider>')
    .action(async (provider: string, _flags: unknown, command: Command) => {
      const ctx = commandContext(command, io);
      const o = await ctx.client.post<CostModelApplyOutcome>(`/v1/cost/models/${encodeURIComponent(provider)}/apply`);
      ctx.printer.result(o, () => applyText(o));
    });
}

/** The whole model as a platform team reads it, top to bottom: what goes in, where the money goes, what comes out. */
function modelText(m: CostModelView): string {
  const v = m.current;
  const { inputs, rates } = v;
  const since = v.validFrom.startsWith('1970-') ? 'since its first version' : `since ${v.validFrom}`;
  const lines = [
    `${m.provider}: cost model in force ${since} (${m.versions.length} version${m.versions.length === 1 ? '' : 's'})${m.configured ? '' : ' — no longer in tessera.yaml; its last prices stay in force'}`,
    '',
    'INPUTS',
    ...columns(inputRows(v)).map((l) => `  ${l}`),
    '',
  ];
  for (const s of rates.servers) {
    lines.push(`COST OF ONE SERVER-HOUR: ${s.name}`);
    const total = s.costNanosPerHour.total;
    const parts = (['hardware', 'power', 'space', 'network', 'support', 'people'] as const).map((part) => [
      part,
      usdNanos(s.costNanosPerHour[part]),
      total === 0 ? '-' : `${((s.costNanosPerHour[part] * 100) / total).toFixed(1)}%`,
    ]);
    parts.push(['total', usdNanos(total), '100%']);
    if (s.gpuPartNanosPerHour > 0) parts.push(['of which GPUs', usdNanos(s.gpuPartNanosPerHour), `${((s.gpuPartNanosPerHour * 100) / total).toFixed(1)}%`]);
    lines.push(...columns(parts).map((l) => `  ${l}`), '');
  }
  const u = `${percent(inputs.targetUtilisation)} target utilisation`;
  lines.push(
    `RATES (cost ÷ ${u})`,
    ...columns([
      ['vCPU-hour', usdNanos(rates.vcpuHourNanos)],
      ['GiB-hour', usdNanos(rates.gibHourNanos)],
      ...(rates.gpuHourNanos === null ? [] : [['GPU-hour', usdNanos(rates.gpuHourNanos)]]),
      ...rates.servers.map((s) => [`server-hour (${s.name})`, usdNanos(s.serverHourNanos)]),
      ['fleet per month', `${monthly(rates.fleet.costMicrosPerMonth)} for ${rates.fleet.servers} servers in ${rates.fleet.racks} rack${rates.fleet.racks === 1 ? '' : 's'}, used or not`],
    ]).map((l) => `  ${l}`),
    '',
    'FLAVOR PRICES (private vs the cheapest on-demand public offer with at least the same vCPUs and memory)',
  );
  if (m.flavors.length === 0) lines.push('  (none in the catalog: the provider listed no offers when the model was applied)');
  else lines.push(...columns([['REGION', 'FLAVOR', 'KIND', 'SHAPE', 'PRICE', 'PER MONTH', 'CHEAPEST PUBLIC', 'PUBLIC PRICE', 'PRIVATE/PUBLIC'], ...m.flavors.map(flavorRow)]).map((l) => `  ${l}`));
  return lines.join('\n');
}

function inputRows(v: CostModelVersion): string[][] {
  const { inputs: i, rates } = v;
  const rows: string[][] = i.servers.map((s, n) => [
    n === 0 ? 'servers' : '',
    `${s.count} × ${s.name}: ${s.vcpus} vCPUs, ${s.memoryGiB} GiB, ${dollars(s.capexUsd)} over ${s.amortisationYears} years, ${s.powerWatts} W` +
      (s.gpus ? `; ${s.gpus.count} GPUs (${dollars(s.gpus.capexUsd)}, ${s.gpus.powerWatts} W of it)` : ''),
  ]);
  const split = rates.split;
  rows.push(
    ['electricity', `$${i.electricityUsdPerKwh}/kWh at PUE ${i.pue}`],
    ['space', `${dollars(i.space.usdPerRackMonth)} per rack-month, ${i.space.serversPerRack} servers per rack (${rates.fleet.racks} rack${rates.fleet.racks === 1 ? '' : 's'})`],
    ['network', `${dollars(i.networkUsdPerServerMonth)} per server-month`],
    ['support', i.support.percentOfCapexPerYear !== undefined ? `${i.support.percentOfCapexPerYear}% of capex per year` : `${dollars(i.support.usdPerServerYear ?? 0)} per server-year`],
    ['people', `${dollars(i.people.usdPerEngineerYear)} per engineer-year, ${i.people.serversPerEngineer} servers per engineer`],
    ['utilisation', `${percent(i.targetUtilisation)} of capacity expected in use`],
    [
      'cpu / memory',
      split.method === 'fixed'
        ? `vCPUs carry ${percent(split.cpuShare)} of a server's cost, memory the rest`
        : `weighed by public list prices: ${usdNanos(split.vcpuNanosPerHour)} per vCPU-hour, ${usdNanos(split.gibNanosPerHour)} per GiB-hour (fitted to ${split.pricesFitted} prices)`,
    ],
  );
  return rows;
}

function flavorRow(f: CostModelFlavorPrice): string[] {
  const p = f.cheapestPublic;
  return [
    f.region,
    f.flavor,
    f.kind ?? '-',
    `${f.vcpus} vCPU ${f.memoryGiB} GiB${f.gpus ? ` ${f.gpus} GPU` : ''}`,
    usdPerHour(f.priceMicrosPerHour),
    monthly(f.priceMicrosPerHour * HOURS_PER_MONTH),
    p ? `${p.provider} ${p.flavor} (${p.region})` : '(none comparable)',
    p ? usdPerHour(p.priceMicrosPerHour) : '-',
    p ? `${p.ratio.toFixed(2)}×` : '-',
  ];
}

function applyText(o: CostModelApplyOutcome): string {
  const c = o.catalog;
  const lines = [
    `${o.newVersion ? 'Applied a new version of' : 'No change in'} the cost model of ${o.provider} (in force since ${o.version.validFrom}): ` +
      `${usdNanos(o.version.rates.vcpuHourNanos)} per vCPU-hour, ${usdNanos(o.version.rates.gibHourNanos)} per GiB-hour.`,
    `Catalog: ${c.added} added, ${c.changed} changed, ${c.withdrawn} withdrawn, ${c.unchanged} unchanged.`,
  ];
  for (const u of o.unpriced) lines.push(`  not priced: ${u.region}/${u.flavor}: ${u.reason}`);
  if (o.note) lines.push(o.note);
  return lines.join('\n');
}

/** Nano-dollars as USD with as many decimals as they carry (at least two): rates are finer than a cent. */
function usdNanos(nanos: number): string {
  const whole = Math.floor(nanos / NANOS_PER_USD);
  let frac = String(nanos % NANOS_PER_USD).padStart(9, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `$${whole}.${frac}`;
}

/** A monthly amount to the cent, rounded here at display (half up), with thousands separators. */
function monthly(micros: number): string {
  const cents = Math.round(micros / 10_000);
  return `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** An input amount as written in tessera.yaml, with thousands separators. */
function dollars(amount: number): string {
  return `$${amount.toLocaleString('en-US', { maximumFractionDigits: 6 })}`;
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/** Left-aligned columns two spaces apart, without trailing blanks: readable, and friendly to grep and awk. */
function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}
