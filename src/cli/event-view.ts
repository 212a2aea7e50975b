/** How events look: a table for a page of the log, one line each for a live feed. */
import type { EventRecord, WatchEvent } from './api-types.js';
import type { TableView } from './output.js';

/** The phase of the resource an event carries, when it is an instance (the watch sends the resource along). */
function phaseOf(event: EventRecord | WatchEvent): string | undefined {
  if (!('resource' in event) || !event.resource) return undefined;
  const status = (event.resource as { status?: { phase?: unknown } }).status;
  return typeof status?.phase === 'string' ? status.phase : undefined;
}

function whatHappened(event: EventRecord | WatchEvent): string {
  return [event.reason, event.message].filter(Boolean).join(': ');
}

/** `#42 2025-01-01T10:00:00Z Instance i-3k9x0q2m Updated Running ProviderReady: machine is up` */
export function eventLine(event: EventRecord | WatchEvent): string {
  return [`#${event.seq}`, event.at, event.kind, event.resourceId, event.type, phaseOf(event), whatHappened(event)]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
}

export function eventTable(events: EventRecord[]): TableView {
  return {
    head: ['SEQ', 'TIME', 'KIND', 'RESOURCE', 'TYPE', 'WHAT HAPPENED'],
    rows: events.map((e) => [e.seq, e.at, e.kind, e.resourceId, e.type, whatHappened(e)]),
  };
}
