import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes; returns whether it succeeded.
 * Every benchmark loop is bounded in time: a regression makes a benchmark report a timeout, never hang.
 */
export async function pollUntil(check: () => Promise<boolean>, opts: { intervalMs: number; timeoutMs: number }): Promise<boolean> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() >= deadline) return false;
    await sleep(opts.intervalMs);
  }
}
