import { invalidParameterValue } from './ec2-error.js';
import type { SimulatedInstance } from './instance.js';
import type { Filter } from './query-params.js';

/**
 * DescribeInstances filters the double understands (a subset of EC2's list, the ones a driver uses). As on EC2,
 * values are OR-ed within a filter and filters are AND-ed, values may use `*` and `?` wildcards, and an unknown
 * filter name is an error rather than ignored.
 */
const INSTANCE_FILTERS: Record<string, (i: SimulatedInstance) => string[]> = {
  'instance-id': (i) => [i.id],
  'instance-state-name': (i) => [i.state],
  'instance-type': (i) => [i.facts.instanceType],
  'availability-zone': (i) => [i.facts.zone],
  'client-token': (i) => (i.facts.clientToken ? [i.facts.clientToken] : []),
  'image-id': (i) => [i.facts.imageId],
  'instance-lifecycle': (i) => (i.facts.market === 'spot' ? ['spot'] : []),
  'tag-key': (i) => [...i.tags.keys()],
  'tag-value': (i) => [...i.tags.values()],
};

export function checkInstanceFilters(filters: Filter[]): void {
  for (const f of filters) {
    if (!f.name.startsWith('tag:') && !(f.name in INSTANCE_FILTERS)) throw invalidParameterValue(`The filter '${f.name}' is invalid`);
  }
}

export function instanceMatches(instance: SimulatedInstance, filters: Filter[]): boolean {
  return filters.every((f) => {
    const actual = f.name.startsWith('tag:') ? tagValues(instance, f.name.slice(4)) : INSTANCE_FILTERS[f.name]!(instance);
    return f.values.some((wanted) => actual.some((value) => globMatches(wanted, value)));
  });
}

function tagValues(instance: SimulatedInstance, key: string): string[] {
  const v = instance.tags.get(key);
  return v === undefined ? [] : [v];
}

/** EC2 filter wildcards: `*` any run of characters, `?` one character, `\` escapes them. */
export function globMatches(pattern: string, value: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += escapeRegExp(pattern[++i]!);
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`, 's').test(value);
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
