/**
 * How every benchmark prints: a header with the machine facts, aligned figures, and each target as one line
 * with the measured value, the target and PASS/FAIL. Benchmarks report; they never fail a build, so FAIL is a
 * word on the screen and the exit code stays 0.
 */

const LABEL_WIDTH = 40;

export function printHeader(title: string, facts: Record<string, string>): void {
  console.log(`\n=== ${title} ===`);
  for (const [key, value] of Object.entries(facts)) console.log(`  ${`${key}:`.padEnd(12)} ${value}`);
}

export function printSection(title: string): void {
  console.log(`\n-- ${title}`);
}

/** One measured figure, e.g. `figure('Tessera', 4_210, 'req/s')`. */
export function figure(label: string, value: number | string, unit = '', note = ''): void {
  const shown = typeof value === 'number' ? formatNumber(value) : value;
  console.log(`  ${label.padEnd(LABEL_WIDTH)} ${shown}${unit ? ` ${unit}` : ''}${note ? `   ${note}` : ''}`);
}

export type Comparison = '≥' | '≤';

/** A figure held against its target: `ratio 0.62 (target ≥ 0.5)  FAIL`. Returns whether it passed. */
export function target(label: string, value: number, comparison: Comparison, goal: number, unit = '', digits = 2): boolean {
  const pass = comparison === '≥' ? value >= goal : value <= goal;
  const u = unit ? ` ${unit}` : '';
  console.log(
    `  ${label.padEnd(LABEL_WIDTH)} ${value.toFixed(digits)}${u} (target ${comparison} ${goal}${u})  ${pass ? 'PASS' : 'FAIL'}`,
  );
  return pass;
}

export function note(text: string): void {
  console.log(`  · ${text}`);
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function mebibytes(bytes: number): number {
  return bytes / (1024 * 1024);
}
