import type { CommandContext } from './context.js';
import { eventLine } from './event-view.js';
import { followWatch, type WatchQuery } from './watch-stream.js';

/** Prints events from the watch as they arrive, until the user stops the command (Ctrl-C). */
export async function printEventFeed(ctx: CommandContext, query: WatchQuery): Promise<void> {
  for await (const event of followWatch(ctx.client, query, ctx.io.stopSignal())) {
    ctx.printer.streamItem(event, () => eventLine(event));
  }
}
