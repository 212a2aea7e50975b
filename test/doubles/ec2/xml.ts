/**
 * EC2's XML, as the Query API (version 2016-11-15) answers: every response is `<ActionResponse>` in the EC2
 * namespace with a `<requestId>`, lists are `<somethingSet>` of `<item>`s, booleans are `true`/`false` and times
 * ISO 8601. Members are rendered only when they have a value, as EC2 leaves absent members out.
 */

export const EC2_API_VERSION = '2016-11-15';
export const EC2_XML_NAMESPACE = `http://ec2.amazonaws.com/doc/${EC2_API_VERSION}/`;

/** A rendered XML fragment; plain strings passed to `el` are text and get escaped. */
export class Xml {
  constructor(readonly text: string) {}
}

export type XmlContent = string | number | boolean | Date | Xml | null | undefined | XmlContent[];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function render(content: XmlContent): string {
  if (content === null || content === undefined) return '';
  if (content instanceof Xml) return content.text;
  if (Array.isArray(content)) return content.map(render).join('');
  if (content instanceof Date) return content.toISOString();
  return escapeXml(String(content));
}

/** `<name>content</name>`; nothing at all when the content is null or undefined. */
export function el(name: string, content: XmlContent): Xml {
  if (content === null || content === undefined) return new Xml('');
  return new Xml(`<${name}>${render(content)}</${name}>`);
}

/** `<nameSet><item>…</item>…</nameSet>` (EC2 writes an empty list as an empty element). */
export function set(name: string, items: XmlContent[]): Xml {
  return new Xml(`<${name}>${items.map((i) => `<item>${render(i)}</item>`).join('')}</${name}>`);
}

export function successBody(action: string, requestId: string, members: XmlContent[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XML_NAMESPACE}">${render([el('requestId', requestId), ...members])}</${action}Response>`;
}

/** EC2's error envelope: `Response > Errors > Error (Code, Message)`, then `RequestID` (capital ID, as EC2 writes it). */
export function errorBody(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}
