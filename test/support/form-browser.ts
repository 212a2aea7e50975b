/**
 * A tiny browser for tests of HTML-form flows such as SAML single sign-on: it keeps cookies, follows
 * redirects itself (fetch would drop the cookies set on a 302) and fills in and submits forms. It runs no
 * JavaScript, so an auto-submitting form (a SAML POST binding) is submitted, or just inspected, by the test.
 */

export interface Hop {
  method: 'GET' | 'POST';
  url: string;
  status: number;
}

export interface Page {
  /** The URL the page was finally served from, after redirects. */
  url: string;
  status: number;
  html: string;
}

export interface HtmlForm {
  /** Absolute URL the form submits to. */
  action: string;
  method: 'GET' | 'POST';
  /** The values a browser would submit without user input, in document order. */
  fields: Record<string, string>;
}

export class FormBrowser {
  /** Every request made, redirects included, in order. */
  readonly hops: Hop[] = [];
  private readonly cookies = new CookieJar();

  constructor(private readonly maxRedirects = 10) {}

  get(url: string): Promise<Page> {
    return this.navigate('GET', url);
  }

  post(url: string, fields: Record<string, string>): Promise<Page> {
    return this.navigate('POST', url, new URLSearchParams(fields));
  }

  /** Submits the first form in `html` (a page served from `pageUrl`) with `fieldOverrides` filled in. */
  submitForm(html: string, pageUrl: string, fieldOverrides: Record<string, string> = {}): Promise<Page> {
    const form = parseFirstForm(html, pageUrl);
    const fields = { ...form.fields, ...fieldOverrides };
    if (form.method === 'POST') return this.post(form.action, fields);
    const url = new URL(form.action);
    url.search = new URLSearchParams(fields).toString();
    return this.get(url.href);
  }

  /** The Cookie header this browser would send to `url`, e.g. to assert a session cookie was set. */
  cookieHeader(url: string): string {
    return this.cookies.header(new URL(url));
  }

  private async navigate(method: 'GET' | 'POST', startUrl: string, body?: URLSearchParams): Promise<Page> {
    let url = new URL(startUrl);
    for (let redirects = 0; ; redirects++) {
      const headers: Record<string, string> = {};
      const cookie = this.cookies.header(url);
      if (cookie) headers.cookie = cookie;
      const response = await fetch(url, { method, headers, body, redirect: 'manual' });
      this.hops.push({ method, url: url.href, status: response.status });
      this.cookies.store(url, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) {
        return { url: url.href, status: response.status, html: await response.text() };
      }
      await response.body?.cancel();
      if (redirects >= this.maxRedirects) throw new Error(`more than ${this.maxRedirects} redirects; hops: ${JSON.stringify(this.hops)}`);
      url = new URL(location, url);
      // As browsers do: 307 and 308 repeat the request, every other redirect becomes a GET.
      if (response.status !== 307 && response.status !== 308) {
        method = 'GET';
        body = undefined;
      }
    }
  }
}

/** An attribute list, with quoted values that may contain `>`. */
const ATTRIBUTES = `((?:[^>"']|"[^"]*"|'[^']*')*)`;

/**
 * The first `<form>` of a page, read the way a browser would submit it untouched: hidden and text inputs,
 * checked checkboxes and radios, textareas and the selected option of each select. Regex-based: enough for
 * SimpleSAMLphp's pages and SAML POST-binding forms, not for arbitrary HTML.
 */
export function parseFirstForm(html: string, pageUrl: string): HtmlForm {
  const form = new RegExp(`<form\\b${ATTRIBUTES}>([\\s\\S]*?)</form>`, 'i').exec(html);
  if (!form) throw new Error(`no <form> on the page from ${pageUrl}: ${html.slice(0, 2000)}`);
  const formAttributes = parseAttributes(form[1]!);
  const body = form[2]!;
  const fields: Record<string, string> = {};
  const controls = new RegExp(`<(input|textarea|select)\\b${ATTRIBUTES}>(?:([\\s\\S]*?)</\\1>)?`, 'gi');
  for (const [, tag, attributeText, content] of body.matchAll(controls)) {
    const attributes = parseAttributes(attributeText!);
    const name = attributes.name;
    if (name === undefined || 'disabled' in attributes) continue;
    const value = controlValue(tag!.toLowerCase(), attributes, content ?? '');
    if (value !== undefined) fields[name] = value;
  }
  return {
    action: new URL(formAttributes.action ?? '', pageUrl).href,
    method: formAttributes.method?.toUpperCase() === 'POST' ? 'POST' : 'GET',
    fields,
  };
}

/** What a control contributes to an untouched submission; undefined for controls that contribute nothing. */
function controlValue(tag: string, attributes: Record<string, string>, content: string): string | undefined {
  if (tag === 'textarea') return decodeEntities(content);
  if (tag === 'select') {
    const options = [...content.matchAll(new RegExp(`<option\\b${ATTRIBUTES}>([^<]*)`, 'gi'))].map(([, a, text]) => ({ attributes: parseAttributes(a!), text: text! }));
    const chosen = options.find((o) => 'selected' in o.attributes) ?? options[0];
    return chosen && (chosen.attributes.value ?? decodeEntities(chosen.text).trim());
  }
  const type = (attributes.type ?? 'text').toLowerCase();
  // Buttons only count when clicked, files are never filled in.
  if (['submit', 'button', 'image', 'reset', 'file'].includes(type)) return undefined;
  if ((type === 'checkbox' || type === 'radio') && !('checked' in attributes)) return undefined;
  return attributes.value ?? (type === 'checkbox' || type === 'radio' ? 'on' : '');
}

function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [, name, doubleQuoted, singleQuoted, bare] of text.matchAll(/([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    attributes[name!.toLowerCase()] = decodeEntities(doubleQuoted ?? singleQuoted ?? bare ?? '');
  }
  return attributes;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, code: string) => {
    if (code[0] === '#') return String.fromCodePoint(code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10));
    return NAMED_ENTITIES[code.toLowerCase()] ?? entity;
  });
}

interface Cookie {
  name: string;
  value: string;
  domain: string;
  /** False when the cookie had a Domain attribute and so also goes to subdomains. */
  hostOnly: boolean;
  path: string;
  secure: boolean;
  expiresAt: number;
}

/**
 * The parts of RFC 6265 these flows need: domain, path, Secure and expiry. Like a browser, cookies ignore the
 * port, so an IdP and an SP on two ports of 127.0.0.1 see each other's cookies. SameSite is not modelled:
 * test servers all live on 127.0.0.1, which is one site.
 */
class CookieJar {
  private cookies: Cookie[] = [];

  store(url: URL, setCookieHeaders: string[]): void {
    for (const header of setCookieHeaders) {
      const cookie = parseSetCookie(url, header);
      if (!cookie) continue;
      this.cookies = this.cookies.filter((c) => !(c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path));
      if (cookie.expiresAt > Date.now()) this.cookies.push(cookie);
    }
  }

  header(url: URL): string {
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expiresAt > now);
    return this.cookies
      .filter((c) => domainMatches(url.hostname, c) && pathMatches(url.pathname, c.path) && (!c.secure || isSecureContext(url)))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

function parseSetCookie(url: URL, header: string): Cookie | undefined {
  const [pair = '', ...attributeParts] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const cookie: Cookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    domain: url.hostname,
    hostOnly: true,
    path: defaultPath(url),
    secure: false,
    expiresAt: Infinity,
  };
  let maxAgeSeen = false;
  for (const part of attributeParts) {
    const [rawKey = '', ...rest] = part.split('=');
    const key = rawKey.trim().toLowerCase();
    const value = rest.join('=').trim();
    if (key === 'domain' && value) {
      cookie.domain = value.replace(/^\./, '').toLowerCase();
      cookie.hostOnly = false;
    } else if (key === 'path' && value.startsWith('/')) {
      cookie.path = value;
    } else if (key === 'secure') {
      cookie.secure = true;
    } else if (key === 'max-age') {
      // Max-Age wins over Expires, whichever comes first.
      cookie.expiresAt = Date.now() + Number(value) * 1000;
      maxAgeSeen = true;
    } else if (key === 'expires' && !maxAgeSeen) {
      const at = Date.parse(value);
      if (!Number.isNaN(at)) cookie.expiresAt = at;
    }
  }
  // A server may not set cookies for a domain it is not part of.
  return domainMatches(url.hostname, cookie) ? cookie : undefined;
}

function domainMatches(hostname: string, cookie: Cookie): boolean {
  return hostname === cookie.domain || (!cookie.hostOnly && hostname.endsWith(`.${cookie.domain}`));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  return requestPath === cookiePath || (requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'));
}

/** The directory of the request path, which is where a cookie without Path applies. */
function defaultPath(url: URL): string {
  const lastSlash = url.pathname.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : url.pathname.slice(0, lastSlash);
}

/** Browsers send Secure cookies over https and, as a trustworthy origin, to loopback over plain http. */
function isSecureContext(url: URL): boolean {
  return url.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}
