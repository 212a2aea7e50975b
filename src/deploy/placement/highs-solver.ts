import type { Highs } from 'highs';

/**
 * HiGHS (compiled to wasm) is loaded once per process and reused: instantiating the module costs far more than
 * solving a placement model.
 */
let loading: Promise<Highs> | undefined;

// The package's types describe its CommonJS build; under ESM the loader is the module's default export itself.
type HighsLoader = () => Promise<Highs>;

export function loadHighs(): Promise<Highs> {
  loading ??= import('highs').then((m) => (m.default as unknown as HighsLoader)());
  return loading;
}
