import { invalidField } from './gce-error.js';
import type { GceInstance } from './instances.js';

/**
 * The part of Compute Engine's list `filter` syntax the double understands: comparisons `FIELD = VALUE` and
 * `FIELD != VALUE` on `name`, `status` and `labels.KEY`, the value bare or double-quoted, joined by `AND` or
 * written as parenthesised terms side by side (`(a) (b)`). Anything else is refused as GCE refuses a filter it
 * cannot parse, so a driver relying on more than this would fail here rather than pass by accident.
 */
export type InstanceFilter = (instance: GceInstance) => boolean;

const TERM = /^\s*(name|status|labels\.[a-z][a-z0-9_-]{0,62})\s*(=|!=)\s*(?:"([^"]*)"|([^\s()"]+))\s*$/;

export function parseFilter(filter: string | null): InstanceFilter {
  if (filter === null || filter.trim() === '') return () => true;
  const trimmed = filter.trim();
  const parts = trimmed.startsWith('(') ? splitParenthesised(trimmed, filter) : trimmed.split(/\s+AND\s+/);
  const tests = parts.map((part) => {
    const m = TERM.exec(part);
    if (!m) throw invalidField('filter', filter, 'Invalid list filter expression.');
    const [, field, op, quoted, bare] = m;
    const value = quoted ?? bare ?? '';
    const read = (i: GceInstance): string | undefined =>
      field === 'name' ? i.name : field === 'status' ? i.status : i.labels?.[field!.slice('labels.'.length)];
    return op === '=' ? (i: GceInstance) => read(i) === value : (i: GceInstance) => read(i) !== value;
  });
  return (instance) => tests.every((t) => t(instance));
}

function splitParenthesised(text: string, original: string): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    const m = /^\(([^()]*)\)\s*(?:AND\s*)?/.exec(rest);
    if (!m) throw invalidField('filter', original, 'Invalid list filter expression.');
    parts.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  return parts;
}
