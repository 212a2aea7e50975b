import Table from 'cli-table3';
import { stringify as toYaml } from 'yaml';
import { csvRecord } from '../metering/focus/csv.js';
import type { OutputStream } from './io.js';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type Cell = string | number | null | undefined;

/** Rows under a header: list commands. */
export interface TableView {
  head: string[];
  rows: Cell[][];
}

/** Field/value pairs: one resource shown in full (`instance get`). */
export interface DetailView {
  fields: [string, Cell][];
}

/** No borders, no padding, one space-separated row per line: what `grep`, `awk` and `cut` expect off a terminal. */
const PLAIN_CHARS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '',
  middle: '  ',
};

/**
 * Writes command results to stdout in the chosen format. JSON and YAML print the API's data unchanged (so
 * scripts see exactly what the API returns); tables print a view built for people, only when one is needed.
 */
export class Printer {
  constructor(
    private readonly stream: OutputStream,
    readonly format: OutputFormat,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  /** `view` may also be a sentence, for results that are an outcome rather than a resource. */
  result(data: unknown, view: () => TableView | DetailView | string): void {
    if (this.format === 'json') this.stream.write(JSON.stringify(data, null, 2) + '\n');
    else if (this.format === 'yaml') this.stream.write(toYaml(data));
    else if (this.format === 'csv') {
      const shown = view();
      this.stream.write(typeof shown === 'string' ? shown + '\n' : renderCsv(shown));
    } else {
      const shown = view();
      this.stream.write((typeof shown === 'string' ? shown : this.renderTable(shown)) + '\n');
    }
  }

  /** One item of an unending stream (watch, events --follow): a JSON line, or a line of text. */
  streamItem(data: unknown, line: () => string): void {
    // YAML has no line-per-record form; a document separator keeps a stream of YAML documents parseable.
    if (this.format === 'json') this.stream.write(JSON.stringify(data) + '\n');
    else if (this.format === 'yaml') this.stream.write('---\n' + toYaml(data));
    else this.stream.write(line() + '\n');
  }

  private renderTable(view: TableView | DetailView): string {
    const table = new Table(this.tableOptions('head' in view ? view.head : []));
    if ('head' in view) table.push(...view.rows.map((row) => row.map(cellText)));
    else table.push(...view.fields.map(([field, value]) => ({ [field]: cellText(value) })));
    const text = table.toString();
    // Borderless tables pad the last column; trailing blanks would only get in the way of text tools.
    return this.isTerminal ? text : text.replace(/[ \t]+$/gm, '');
  }

  private get isTerminal(): boolean {
    return this.stream.isTTY === true;
  }

  private tableOptions(head: string[]): Table.TableConstructorOptions {
    if (!this.isTerminal) {
      return { head, chars: PLAIN_CHARS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } };
    }
    // https://no-color.org: keep the box drawing, drop the colours.
    const colour = this.env['NO_COLOR'] === undefined || this.env['NO_COLOR'] === '';
    return { head, style: colour ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] } };
  }
}

function cellText(value: Cell): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value);
}

/** The table a person would see, as RFC 4180 CSV for a spreadsheet: the same columns, one record per row. */
function renderCsv(view: TableView | DetailView): string {
  const text = (c: Cell) => (c === null || c === undefined ? '' : String(c));
  if ('head' in view) return csvRecord(view.head) + view.rows.map((row) => csvRecord(row.map(text))).join('');
  return csvRecord(['FIELD', 'VALUE']) + view.fields.map(([field, value]) => csvRecord([field, text(value)])).join('');
}
