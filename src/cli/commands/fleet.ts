import type { Command } from 'commander';
import type { FleetSummary } from '../../compute/fleet-summary.js';
import type { FleetCosts } from '../../metering/fleet-costs.js';
import { commandContext } from '../context.js';
import { usd, usdPerHour } from '../format.js';
import type { CliIo } from '../io.js';

/** `tessera fleet`: the estate by kind and provider, and how much of it is virtualised and containerised. */
export function registerFleetCommand(program: Command, io: CliIo): void {
  program
    .command('fleet')
    .description('count the estate: bare metal, VMs and containers per provider; share virtualised and in containers; annual run-rate; private vs public cost')
    .action(async (_flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const fleet = await ctx.client.get<FleetSummary & { costs: FleetCosts }>('/v1/fleet');
      const { annualRunRateMicros: rate, privateVsPublic: pvp } = fleet.costs;
      const percent = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)} %`);
      ctx.printer.result(fleet, () => ({
        head: ['PROVIDER', 'BARE METAL', 'VM', 'CONTAINER', 'NOT YET OBSERVED'],
        rows: [
          ...Object.entries(fleet.byProvider).map(([name, k]) => [name, k.baremetal, k.vm, k.container, k.unknown]),
          ['all', fleet.byKind.baremetal, fleet.byKind.vm, fleet.byKind.container, fleet.byKind.unknown],
          [`virtualised ${percent(fleet.virtualisedShare)}`, '', `in containers ${percent(fleet.containerShareOfVirtualised)}`, '', ''],
          ['run-rate a year', `private ${usd(rate.private)}`, `public ${usd(rate.public)}`, `total ${usd(rate.total)}`, fleet.costs.unpricedRunning ? `${fleet.costs.unpricedRunning} unpriced` : ''],
          [
            'private vs public',
            `private ${usdPerHour(pvp.privateMicrosPerHour)}`,
            `public ${usdPerHour(pvp.publicMicrosPerHour)}`,
            pvp.ratio === null ? 'ratio -' : `ratio ${pvp.ratio}`,
            `${pvp.comparedInstances} compared`,
          ],
        ],
      }));
    });
}
