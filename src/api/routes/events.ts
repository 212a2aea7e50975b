import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { StoredEvent } from '../../store/store.js';
import { CLUSTER_KIND, clusterView, type Cluster } from '../../deploy/cluster/cluster.js';
import { narrowProjects, projectsWith } from '../../identity/access.js';
import { principalOf } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, Limit } from '../schemas.js';

const EventView = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    kind: z.string(),
    resourceId: z.string(),
    project: z.string(),
    type: z.string(),
    reason: z.string(),
    message: z.string(),
    resourceVersion: z.number().int().nullable(),
  })
  .meta({ id: 'Event' });

const Kind = z.enum(['Instance', 'Project', 'Budget', 'WorkUnit', 'Deployment', 'Cluster']);

const EventsQuery = z
  .object({
    kind: Kind.optional(),
    resourceId: z.string().max(64).optional(),
    project: z.string().max(63).optional(),
    after: z.coerce.number().int().min(0).optional().describe('return events with a sequence number above this'),
    limit: Limit,
  })
  .strict();

const WatchQuery = z
  .object({
    kind: Kind.optional(),
    id: z.string().max(64).optional().describe('only events of this resource'),
    after: z.coerce.number().int().min(0).optional().describe('replay from this sequence number (default: only new events)'),
  })
  .strict();

const HEARTBEAT_MS = 15_000;
/** Other processes' writes reach this one only through the log, so it is polled as well as notified. */
const POLL_MS = 1_000;

export function eventRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/events',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'The append-only event log, oldest first; page with ?after=<last seq>',
          tags: ['events'],
          querystring: EventsQuery,
          response: { 200: z.object({ items: z.array(EventView), nextCursor: z.string().nullable() }).meta({ id: 'EventPage' }), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const q = req.query;
        const project = narrowProjects(projectsWith(principalOf(req), 'viewer'), q.project);
        const items = await cp.store.listEvents({ after: q.after, kind: q.kind, resourceId: q.resourceId, project, limit: q.limit });
        return { items, nextCursor: items.length === q.limit ? String(items[items.length - 1]!.seq) : null };
      },
    );

    app.get(
      '/v1/watch',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'Server-Sent Events: each event as it is appended, with the resource as it now stands',
          tags: ['events'],
          querystring: WatchQuery,
          produces: ['text/event-stream'],
        },
      },
      async (req, reply) => {
        const q = req.query;
        // Only events of projects the caller may see, now and for as long as the stream stays open.
        const visible = projectsWith(principalOf(req), 'viewer');
        const lastEventId = Number(req.headers['last-event-id']);
        let last = q.after ?? (Number.isInteger(lastEventId) && lastEventId >= 0 ? lastEventId : await cp.store.latestEventSeq());
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-request-id': req.id,
        });
        res.write(': watching\n\n');

        let closed = false;
        let pumping = false;
        let again = false;
        const send = async (e: StoredEvent) => {
          const stored = await cp.store.get(e.kind, e.resourceId);
          // A cluster's sealed secrets never leave the server, not even as ciphertext.
          const resource = stored && e.kind === CLUSTER_KIND ? clusterView(stored as Cluster) : stored;
          // The event's facts are the metering ledger's input; the stream carries the resource itself.
          const { facts: _facts, ...event } = e;
          res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...event, resource })}\n\n`);
        };
        const pump = async () => {
          if (pumping) {
            again = true;
            return;
          }
          pumping = true;
          try {
            do {
              again = false;
              const events = await cp.store.listEvents({ after: last, kind: q.kind, resourceId: q.id, project: visible, limit: 500 });
              for (const e of events) {
                if (closed) return;
                await send(e);
                last = e.seq;
              }
              if (events.length === 500) again = true;
            } while (again && !closed);
          } catch (e) {
            req.log.warn({ err: e }, 'watch stream failed');
            res.end();
          } finally {
            pumping = false;
          }
        };
        const onEvents = (events: StoredEvent[]) => {
          if (events.some((e) => e.seq > last && (!q.kind || e.kind === q.kind) && (!q.id || e.resourceId === q.id))) void pump();
        };
        cp.store.notifier.on('events', onEvents);
        const poll = setInterval(() => void pump(), POLL_MS);
        const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
        const stop = () => {
          closed = true;
          clearInterval(poll);
          clearInterval(heartbeat);
          cp.store.notifier.off('events', onEvents);
        };
        req.raw.on('close', stop);
        res.on('close', stop);
        await pump();
      },
    );
  };
}
