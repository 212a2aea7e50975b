import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { printEventFeed } from '../event-feed.js';
import type { CliIo } from '../io.js';

export function registerWatchCommand(program: Command, io: CliIo): void {
  program
    .command('watch')
    .description('print changes as they happen, one line each (JSON lines with -o json); Ctrl-C to stop')
    .option('--kind <kind>', 'kind of resource to watch', 'Instance')
    .option('--resource <id>', 'only changes to this resource')
    .action(async (flags: { kind: string; resource?: string }, command: Command) => {
      const ctx = commandContext(command, io);
      await printEventFeed(ctx, { kind: flags.kind, id: flags.resource });
    });
}
