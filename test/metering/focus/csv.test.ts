import { describe, expect, it } from 'vitest';
import { csvField, csvRecord } from '../../../src/metering/focus/csv.js';
import { hoursDecimal, usdDecimal } from '../../../src/metering/focus/decimal.js';
import { parseCsvStrict } from './strict-csv.js';

describe('the RFC 4180 writer and the decimals of the FOCUS export', () => {
  it('quotes exactly the fields that need it, doubles inner quotes, ends records with CRLF, writes null as an empty field', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('');
    const tricky = ['{"team":"a,b"}', 'line1\r\nline2', '', null, '"', ' spaced '];
    const text = csvRecord(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']) + csvRecord(tricky);
    expect(parseCsvStrict(text)).toEqual([
      ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
      ['{"team":"a,b"}', 'line1\r\nline2', '', '', '"', ' spaced '],
    ]);
  });

  it('money is six decimals from integer micro-dollars; hours are exact to 9 decimals, half up, trimmed', () => {
    expect(usdDecimal(118_000)).toBe('0.118000');
    expect(usdDecimal(0)).toBe('0.000000');
    expect(usdDecimal(-1_500_000)).toBe('-1.500000');
    expect(usdDecimal(9_007_199_254_740_991)).toBe('9007199254.740991');
    expect(hoursDecimal(86_400_000)).toBe('24');
    expect(hoursDecimal(5_400_000)).toBe('1.5');
    expect(hoursDecimal(1)).toBe('0.000000278');
    expect(hoursDecimal(0)).toBe('0');
  });
});
