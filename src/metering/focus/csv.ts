/**
 * CSV as RFC 4180 has it: records end with CRLF; a field holding a comma, a double quote, CR or LF is enclosed in
 * double quotes, with each double quote inside doubled. A null is an empty field (FOCUS: a null value).
 * No CSV library is installed; this is all a writer needs.
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One record, CRLF included. */
export function csvRecord(fields: readonly (string | null)[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) out += (i === 0 ? '' : ',') + csvField(fields[i]!);
  return out + '\r\n';
}
