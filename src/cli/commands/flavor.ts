import type { Command } from 'commander';
import type { FlavorInfo, Page } from '../api-types.js';
import { commandContext } from '../context.js';
import { providerLabel, usdPerHour } from '../format.js';
import type { CliIo } from '../io.js';
import type { TableView } from '../output.js';
import { positiveNumber } from '../parsers.js';

interface FlavorFlags {
  provider?: string;
  region?: string;
  minVcpus?: number;
  minMemory?: number;
}

export function registerFlavorCommands(program: Command, io: CliIo): void {
  const flavor = program.command('flavor').description('machine sizes on offer, normalised across providers');

  flavor
    .command('list')
    .description('list flavors with their size and lowest hourly price')
    .option('--provider <provider>', 'only this provider')
    .option('--region <region>', 'only flavors offered in this region')
    .option('--min-vcpus <n>', 'at least this many vCPUs', positiveNumber)
    .option('--min-memory <GiB>', 'at least this much memory, in GiB', positiveNumber)
    .action(async (flags: FlavorFlags, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<Page<FlavorInfo>>('/v1/flavors', { provider: flags.provider, region: flags.region });
      // The API filters by place only; size is filtered here.
      const flavors = page.items.filter(
        (f) => f.vcpus >= (flags.minVcpus ?? 0) && f.memoryGiB >= (flags.minMemory ?? 0),
      );
      ctx.printer.result(flavors, () => flavorTable(flavors));
    });
}

function flavorTable(flavors: FlavorInfo[]): TableView {
  return {
    head: ['PROVIDER', 'NAME', 'VCPUS', 'MEMORY', 'GPUS', 'ARCH', 'KIND', 'REGIONS', 'PRICE FROM'],
    rows: flavors.map((f) => [
      providerLabel(f.provider, f.simulated),
      f.name,
      f.vcpus,
      `${f.memoryGiB} GiB`,
      f.gpus,
      f.arch,
      f.kind,
      f.regions.join(', '),
      usdPerHour(f.priceFromMicrosPerHour),
    ]),
  };
}
