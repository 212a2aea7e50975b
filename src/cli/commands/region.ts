import type { Command } from 'commander';
import type { Page, RegionInfo } from '../api-types.js';
import { commandContext } from '../context.js';
import { providerLabel } from '../format.js';
import type { CliIo } from '../io.js';
import type { TableView } from '../output.js';

export function registerRegionCommands(program: Command, io: CliIo): void {
  const region = program.command('region').description('where each provider can place instances');

  region
    .command('list')
    .description('list regions and their zones')
    .action(async (_flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<Page<RegionInfo>>('/v1/regions');
      ctx.printer.result(page.items, () => regionTable(page.items));
    });
}

function regionTable(regions: RegionInfo[]): TableView {
  return {
    head: ['PROVIDER', 'NAME', 'ZONES', 'LOCATION'],
    rows: regions.map((r) => [providerLabel(r.provider, r.simulated), r.name, r.zones.join(', '), r.location]),
  };
}
