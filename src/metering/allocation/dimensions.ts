import { InvalidInputError } from '../../core/errors.js';
import { LABEL_KEY_PATTERN } from '../../core/resource.js';
import type { LedgerLine } from '../ledger/ledger.js';

/** What a cost report can be grouped by, besides `label:<key>`. */
export const PLAIN_DIMENSIONS = ['project', 'provider', 'region', 'kind', 'flavor', 'market', 'state', 'day', 'month'] as const;
type PlainDimension = (typeof PLAIN_DIMENSIONS)[number];
export type Dimension = PlainDimension | `label:${string}`;

/** More groupings than this make a report nobody reads, and a cell per line. */
const MAX_DIMENSIONS = 8;
const LABEL_PREFIX = 'label:';

const ALLOWED = `${PLAIN_DIMENSIONS.join(', ')} or label:<key>`;

/** Parses `project,label:team,day`: each known once, labels by a valid key. */
export function parseDimensions(text: string): Dimension[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new InvalidInputError(`say what to group by: one or more of ${ALLOWED}, comma-separated (e.g. project,provider)`, { field: 'by' });
  if (names.length > MAX_DIMENSIONS) throw new InvalidInputError(`group by at most ${MAX_DIMENSIONS} things at once, not ${names.length}`, { field: 'by' });
  const seen = new Set<string>();
  return names.map((name) => {
    if (seen.has(name)) throw new InvalidInputError(`"${name}" is named twice in by=${text}: name each grouping once`, { field: 'by' });
    seen.add(name);
    if (name.startsWith(LABEL_PREFIX)) {
      const key = name.slice(LABEL_PREFIX.length);
      if (!LABEL_KEY_PATTERN.test(key)) {
        throw new InvalidInputError(`"${name}": "${key}" is not a label key (letters, digits, ".", "_" or "-", optionally "prefix/"), e.g. label:team`, { field: 'by' });
      }
      return name as Dimension;
    }
    if (!(PLAIN_DIMENSIONS as readonly string[]).includes(name)) throw new InvalidInputError(`cannot group by "${name}": use ${ALLOWED}`, { field: 'by' });
    return name as PlainDimension;
  });
}

/** Day and month are the time of each piece of a line (ledger/day-pieces.ts), not of the line. */
export function isTimeDimension(dim: Dimension): dim is 'day' | 'month' {
  return dim === 'day' || dim === 'month';
}

/** The value of a dimension other than time for a line; null when the line has none (a label it does not carry). */
export function valueOf(line: LedgerLine, dim: Exclude<Dimension, 'day' | 'month'>): string | null {
  switch (dim) {
    case 'project':
      return line.project;
    case 'provider':
      return line.provider;
    case 'region':
      return line.region;
    case 'kind':
      return line.kind;
    case 'flavor':
      return line.flavor;
    case 'market':
      return line.market;
    case 'state':
      return line.state;
    default:
      return line.labels[dim.slice(LABEL_PREFIX.length)] ?? null;
  }
}
