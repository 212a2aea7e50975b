import type { Command } from 'commander';
import type { EventRecord, Page } from '../api-types.js';
import { commandContext } from '../context.js';
import { printEventFeed } from '../event-feed.js';
import { eventLine, eventTable } from '../event-view.js';
import type { CliIo } from '../io.js';
import { positiveInteger } from '../parsers.js';

interface EventsFlags {
  kind?: string;
  resource?: string;
  limit?: number;
  follow?: boolean;
}

export function registerEventsCommand(program: Command, io: CliIo): void {
  program
    .command('events')
    .description('read the event log: what changed, when and why')
    .option('--kind <kind>', 'only events about this kind of resource, e.g. Instance')
    .option('--resource <id>', 'only events about this resource')
    .option('--limit <n>', 'at most this many events', positiveInteger)
    .option('--follow', 'keep printing new events as they happen (Ctrl-C to stop)')
    .action(async (flags: EventsFlags, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<Page<EventRecord>>('/v1/events', {
        kind: flags.kind,
        resourceId: flags.resource,
        limit: flags.limit,
      });
      if (!flags.follow) {
        ctx.printer.result(page.items, () => eventTable(page.items));
        return;
      }
      // A feed is one event per line from the start, so the history and what follows read as one stream.
      for (const event of page.items) ctx.printer.streamItem(event, () => eventLine(event));
      // The highest seq, whichever order the page is in: the watch resumes right after it, without repeats.
      const after = page.items.length > 0 ? Math.max(...page.items.map((event) => event.seq)) : undefined;
      await printEventFeed(ctx, { kind: flags.kind, id: flags.resource, after });
    });
}
