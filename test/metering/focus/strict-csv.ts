/**
 * A strict RFC 4180 reader for tests: records end with CRLF (the last one too), fields are separated by commas,
 * a field is either bare (no comma, quote, CR or LF in it) or enclosed in double quotes with inner quotes doubled.
 * Anything else — a bare LF, a quote inside a bare field, text after a closing quote, an unterminated quote,
 * records of different lengths — is an error, so a writer that gets quoting wrong cannot pass.
 */
export function parseCsvStrict(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not RFC 4180 CSV at offset ${i} (record ${records.length + 1}): ${why}`);
  };
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) fail('a quoted field is never closed');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"') fail('a double quote inside a field that is not enclosed in quotes');
        if (text[i] === '\n') fail('a line feed without a carriage return');
        field += text[i++];
      }
    }
    fields.push(field);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '\r' && text[i + 1] === '\n') {
      i += 2;
      if (records.length > 0 && fields.length !== records[0]!.length) fail(`${fields.length} fields where the header has ${records[0]!.length}`);
      records.push(fields);
      fields = [];
      continue;
    }
    fail(i >= text.length ? 'the last record does not end with CRLF' : `unexpected ${JSON.stringify(text[i])} after a field`);
  }
  return records;
}

/** Records as objects by the header's column names. */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsvStrict(text);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

/** A decimal string such as `-1.250000` as exact micro-dollars. */
export function decimalToMicros(text: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new Error(`not a decimal with at most 6 places: ${JSON.stringify(text)}`);
  const micros = Number(m[2]) * 1_000_000 + Number((m[3] ?? '').padEnd(6, '0'));
  return m[1] ? -micros : micros;
}
