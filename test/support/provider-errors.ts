import { expect } from 'vitest';
import { ProviderError, type ErrorClass } from '../../src/providers/driver.js';

/** The ProviderError a call rejects with; the test fails when the call succeeds or throws anything else. */
export async function providerErrorOf(p: Promise<unknown>): Promise<ProviderError> {
  const outcome = await p.then(
    () => ({ succeeded: true as const }),
    (error: unknown) => ({ succeeded: false as const, error }),
  );
  if (outcome.succeeded) throw new Error('expected a ProviderError, but the call succeeded');
  if (!(outcome.error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(outcome.error)}`);
  return outcome.error;
}

/**
 * The call rejects with a ProviderError of this class — and, where given, the provider's own code (an argument
 * that is a string) or words matching a pattern (a RegExp) — which is returned for further checks.
 */
export async function expectClass(p: Promise<unknown>, cls: ErrorClass, also?: string | RegExp): Promise<ProviderError> {
  const e = await providerErrorOf(p);
  expect(e.errorClass, e.message).toBe(cls);
  if (typeof also === 'string') expect(e.providerCode).toBe(also);
  else if (also) expect(e.message).toMatch(also);
  return e;
}
