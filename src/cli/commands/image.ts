import type { Command } from 'commander';
import type { ImageInfo, Page } from '../api-types.js';
import { commandContext } from '../context.js';
import { providerLabel } from '../format.js';
import type { CliIo } from '../io.js';
import type { TableView } from '../output.js';
import { simulatedProvidersToLabel } from '../simulated-providers.js';

export function registerImageCommands(program: Command, io: CliIo): void {
  const image = program.command('image').description('operating system images instances can boot');

  image
    .command('list')
    .description('list images per provider')
    .action(async (_flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<Page<ImageInfo>>('/v1/images');
      const simulated = await simulatedProvidersToLabel(ctx);
      ctx.printer.result(page.items, () => imageTable(page.items, simulated));
    });
}

function imageTable(images: ImageInfo[], simulated: Set<string>): TableView {
  return {
    head: ['PROVIDER', 'NAME', 'OS', 'ARCH'],
    rows: images.map((i) => [providerLabel(i.provider, simulated.has(i.provider)), i.name, i.os, i.arch]),
  };
}
