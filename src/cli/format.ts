/** How single values are shown to people in tables and progress lines. */
import { formatUsd, type Micros } from '../core/money.js';

/** Micro-dollars as USD, rounded once here at display (DESIGN.md, "Money and measurement"). */
export function usd(micros: Micros | null | undefined): string {
  return micros === null || micros === undefined ? '-' : `$${formatUsd(micros)}`;
}

export function usdPerHour(micros: Micros | null | undefined): string {
  return micros === null || micros === undefined ? '-' : `${usd(micros)}/h`;
}

/** Simulated providers are always marked, so a demo estate is never mistaken for real machines. */
export function providerLabel(name: string, simulated: boolean): string {
  return simulated ? `${name} (simulated)` : name;
}

/** A coarse age such as `42s`, `7m`, `3h` or `12d`, as `kubectl get` shows it. */
export function age(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
  if (Number.isNaN(seconds)) return '-';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 2 * 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 2 * 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}
