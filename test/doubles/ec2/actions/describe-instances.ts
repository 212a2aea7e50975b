import { clientError, instancesNotFound, malformedId } from '../ec2-error.js';
import { checkInstanceFilters, instanceMatches } from '../filters.js';
import type { SimulatedInstance } from '../instance.js';
import { pageOf } from '../paging.js';
import { el, set, type XmlContent } from '../xml.js';
import type { ActionContext } from './context.js';

export const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

/**
 * DescribeInstances: by `InstanceId.N` (every id must exist, and MaxResults may not be combined with it) and/or
 * `Filter.N`, paged with MaxResults (5–1000) and NextToken. A page holds instances, grouped under their
 * reservations as EC2 groups them.
 */
export function describeInstances(ctx: ActionContext): XmlContent[] {
  const { params } = ctx;
  const ids = params.list('InstanceId');
  if (ids.length > 0 && params.get('MaxResults') !== undefined) {
    throw clientError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const filters = params.filters();
  checkInstanceFilters(filters);
  let instances = visible(ctx);
  if (ids.length > 0) instances = byIds(instances, ids);
  const page = pageOf(
    instances.filter((i) => instanceMatches(i, filters)),
    params,
    { min: 5, max: 1000, defaultSize: Infinity, cap: ctx.account.options.maxPageSize },
  );
  return [set('reservationSet', groupByReservation(ctx, page.items)), el('nextToken', page.nextToken)];
}

export function visible(ctx: ActionContext): SimulatedInstance[] {
  return ctx.region.visibleInstances(ctx.now, ctx.account.options.terminatedVisibleMs);
}

/** The instances with these ids, in the order asked; every id must be well formed and exist. */
export function byIds(instances: SimulatedInstance[], ids: string[]): SimulatedInstance[] {
  for (const id of ids) if (!INSTANCE_ID.test(id)) throw malformedId('InvalidInstanceID', id, 'i');
  const index = new Map(instances.map((i) => [i.id, i]));
  const missing = ids.filter((id) => !index.has(id));
  if (missing.length > 0) throw instancesNotFound(missing);
  return [...new Set(ids)].map((id) => index.get(id)!);
}

function groupByReservation(ctx: ActionContext, instances: SimulatedInstance[]): XmlContent[] {
  const groups = new Map<string, SimulatedInstance[]>();
  for (const i of instances) groups.set(i.facts.reservationId, [...(groups.get(i.facts.reservationId) ?? []), i]);
  return [...groups].map(([reservationId, members]) => [
    el('reservationId', reservationId),
    el('ownerId', ctx.account.options.accountId),
    set('groupSet', []),
    set('instancesSet', members.map((i) => i.toXml())),
  ]);
}
