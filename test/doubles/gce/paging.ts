import { invalidField } from './gce-error.js';

/**
 * List paging as Compute Engine does it: `maxResults` (0–500, default 500) items a page and an opaque
 * `nextPageToken` while more remain. The double's token is the offset of the next item, bound to the filter it was
 * issued for, so a token used with another filter is refused.
 */
export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

export function pageOf<T>(all: T[], query: URLSearchParams): Page<T> {
  const maxResults = readMaxResults(query.get('maxResults'));
  const filter = query.get('filter') ?? '';
  const token = query.get('pageToken');
  const offset = token ? readToken(token, filter) : 0;
  const items = all.slice(offset, offset + maxResults);
  const next = offset + items.length;
  return next < all.length ? { items, nextPageToken: makeToken(next, filter) } : { items };
}

function readMaxResults(raw: string | null): number {
  if (raw === null || raw === '') return 500;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 500) throw invalidField('maxResults', raw, 'Must be an integer between 0 and 500.');
  // GCE treats 0 as "the default".
  return n === 0 ? 500 : n;
}

function makeToken(offset: number, filter: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: filter })).toString('base64url');
}

function readToken(token: string, filter: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; f?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.f === filter) return parsed.o;
  } catch {
    // falls through to the error below
  }
  throw invalidField('pageToken', token, 'The page token is not valid for this request.');
}
