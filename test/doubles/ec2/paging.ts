import { createHash } from 'node:crypto';
import { invalidParameterValue } from './ec2-error.js';
import type { QueryParams } from './query-params.js';

/**
 * EC2's paging: `MaxResults` asks for at most so many items (each action has its own bounds), the answer carries
 * an opaque `nextToken` while more remain, and the token is only good for the same query. Without MaxResults an
 * action answers everything, unless the double's `maxPageSize` cuts pages shorter (EC2 may always return fewer).
 */
export interface PageRule {
  min: number;
  max: number;
  /** The page size when MaxResults is absent (Infinity: everything). */
  defaultSize: number;
  /** The double's own ceiling on any page, if set. */
  cap: number | null;
}

export function pageOf<T>(items: T[], params: QueryParams, rule: PageRule): { items: T[]; nextToken: string | null } {
  const maxResults = params.int('MaxResults');
  if (maxResults !== undefined && (maxResults < rule.min || maxResults > rule.max)) {
    throw invalidParameterValue(`Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between ${rule.min} and ${rule.max}.`);
  }
  const query = queryKey(params);
  const token = params.get('NextToken');
  const offset = token === undefined ? 0 : offsetOf(token, query);
  const size = Math.min(maxResults ?? rule.defaultSize, rule.cap ?? Infinity);
  const end = Math.min(items.length, offset + size);
  const more = end < items.length;
  return { items: items.slice(offset, end), nextToken: more ? Buffer.from(JSON.stringify({ o: end, q: query })).toString('base64url') : null };
}

/** What identifies a query apart from its paging, so a token cannot be replayed against another. */
function queryKey(params: QueryParams): string {
  const relevant = params
    .entries()
    .filter(([k]) => k !== 'NextToken' && k !== 'MaxResults')
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

function offsetOf(token: string, query: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; q?: unknown };
    if (typeof parsed.o === 'number' && parsed.q === query) return parsed.o;
  } catch {
    // fall through: not one of ours
  }
  throw invalidParameterValue(`The specified NextToken is not valid for this request`);
}
