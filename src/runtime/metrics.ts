import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CircuitState } from './circuit-breaker.js';

/** Values of the `tessera_provider_circuit_state` gauge: ordered so that higher is worse. */
export const CIRCUIT_STATE_GAUGE_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface Metrics {
  registry: Registry;
  httpRequests: Histogram<'method' | 'route' | 'status'>;
  reconciles: Counter<'controller' | 'result'>;
  reconcileDuration: Histogram<'controller'>;
  providerCalls: Counter<'provider' | 'op' | 'outcome'>;
  queueDepth: Gauge<'controller'>;
  circuitState: Gauge<'provider'>;
}

/**
 * The process's metrics, in a registry of its own rather than prom-client's global one, so that several
 * servers can live in one process (as they do in tests) without "metric already registered" errors.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Histogram({
      name: 'tessera_http_request_duration_seconds',
      help: 'HTTP requests served, by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    reconciles: new Counter({
      name: 'tessera_reconciles_total',
      help: 'Reconcile passes, by controller and result',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'tessera_reconcile_duration_seconds',
      help: 'Time one reconcile pass took, by controller',
      labelNames: ['controller'],
      // Reconciles wait on provider APIs, so the interesting range runs from milliseconds to a minute.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    providerCalls: new Counter({
      name: 'tessera_provider_calls_total',
      help: 'Calls to provider APIs, by provider, operation and outcome',
      labelNames: ['provider', 'op', 'outcome'],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'tessera_controller_queue_depth',
      help: 'Work items a controller holds, by controller',
      labelNames: ['controller'],
      registers,
    }),
    circuitState: new Gauge({
      name: 'tessera_provider_circuit_state',
      help: `Circuit breaker state per provider: ${Object.entries(CIRCUIT_STATE_GAUGE_VALUE)
        .map(([state, value]) => `${value} ${state}`)
        .join(', ')}`,
      labelNames: ['provider'],
      registers,
    }),
  };
}
