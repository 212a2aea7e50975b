/**
 * ARM's list paging: a page is `{"value":[…],"nextLink":"…"}`, where nextLink is the absolute URL of the next
 * page (the same request with a `$skiptoken` added) and is absent on the last page. Clients follow it as it is.
 * The token here is the offset, base64url-encoded so that clients treat it as opaque.
 */

export function pageOf<T>(items: T[], requestUrl: URL, baseUrl: string, pageSize: number): { value: T[]; nextLink?: string } {
  const token = requestUrl.searchParams.get('$skiptoken');
  const offset = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
  const start = Number.isInteger(offset) && offset >= 0 ? offset : 0;
  const value = items.slice(start, start + pageSize);
  if (start + pageSize >= items.length) return { value };
  const next = new URL(requestUrl.pathname + requestUrl.search, baseUrl);
  next.searchParams.set('$skiptoken', Buffer.from(String(start + pageSize), 'utf8').toString('base64url'));
  return { value, nextLink: next.toString() };
}
