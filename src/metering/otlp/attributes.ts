import { anyValueKind, type AnyValue, type KeyValue } from './otlp-messages.js';

/** An attribute value as people read it: strings as they are, other scalars in their usual notation, lists and maps as JSON-like text. */
export function anyValueText(v: AnyValue | null | undefined): string {
  if (!v) return '';
  switch (anyValueKind(v)) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return String(v.boolValue);
    case 'intValue':
      return typeof v.intValue === 'number' ? String(v.intValue) : v.intValue.toString();
    case 'doubleValue':
      return String(v.doubleValue);
    case 'bytesValue':
      return Buffer.from(v.bytesValue).toString('hex');
    case 'arrayValue':
      return `[${(v.arrayValue?.values ?? []).map(anyValueText).join(',')}]`;
    case 'kvlistValue':
      return `{${(v.kvlistValue?.values ?? []).map((kv) => `${kv.key}=${anyValueText(kv.value)}`).join(',')}}`;
    default:
      return '';
  }
}

/** The value of one attribute as text, or undefined when the list does not have it. */
export function attributeText(attributes: readonly KeyValue[] | undefined, key: string): string | undefined {
  if (!attributes) return undefined;
  for (const kv of attributes) if (kv.key === key) return anyValueText(kv.value);
  return undefined;
}

/**
 * A data point's attributes as one text that tells series apart (key order does not matter, and the string "5"
 * differs from the integer 5): with the metric and the start time, the canonical identity of a series. Strings go in
 * as they are, other values behind a control character that attribute text does not carry.
 */
export function attributesKey(attributes: readonly KeyValue[]): string {
  if (attributes.length === 0) return '';
  let ordered: readonly KeyValue[] = attributes;
  for (let i = 1; i < attributes.length; i++) {
    if (attributes[i - 1]!.key > attributes[i]!.key) {
      ordered = [...attributes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      break;
    }
  }
  let key = '';
  for (let i = 0; i < ordered.length; i++) {
    const kv = ordered[i]!;
    const v = kv.value;
    key += kv.key + '\u0002' + (v && anyValueKind(v) === 'stringValue' ? v.stringValue : otherValueKey(v)) + '\u0003';
  }
  return key;
}

function otherValueKey(v: AnyValue | null | undefined): string {
  if (!v) return '\u0004';
  switch (anyValueKind(v)) {
    case 'intValue':
      // A 64-bit integer by its two halves: no decimal conversion.
      return typeof v.intValue === 'number' ? `\u0004i${v.intValue}` : `\u0004I${v.intValue.high}:${v.intValue.low}`;
    case 'doubleValue':
      return `\u0004d${v.doubleValue}`;
    case 'boolValue':
      return v.boolValue ? '\u0004T' : '\u0004F';
    default:
      return `\u0004x${anyValueText(v)}`;
  }
}
