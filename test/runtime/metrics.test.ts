import { describe, expect, it } from 'vitest';
import { CIRCUIT_STATE_GAUGE_VALUE, createMetrics } from '../../src/runtime/metrics.js';

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABELS = `\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*",?)*\\}`;
// Prometheus reads values with Go's ParseFloat, which takes Inf and NaN in any letter case (prom-client writes Nan).
const VALUE = '(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?[Ii][Nn][Ff]|[Nn][Aa][Nn])';
const SAMPLE_LINE = new RegExp(`^${METRIC_NAME}(?:${LABELS})? ${VALUE}(?: -?\\d+)?$`);
const HELP_LINE = new RegExp(`^# HELP ${METRIC_NAME} .*$`);
const TYPE_LINE = new RegExp(`^# TYPE ${METRIC_NAME} (?:counter|gauge|histogram|summary|untyped)$`);

/** Lines of the exposition that are not valid Prometheus text format 0.0.4. */
function invalidLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !SAMPLE_LINE.test(line) && !HELP_LINE.test(line) && !TYPE_LINE.test(line));
}

describe('createMetrics', () => {
  it('exposes every Tessera metric, with its type, as valid Prometheus text', async () => {
    const metrics = createMetrics();
    metrics.httpRequests.observe({ method: 'GET', route: '/v1/instances/:id', status: '200' }, 0.012);
    metrics.reconciles.inc({ controller: 'Instance', result: 'success' });
    metrics.reconcileDuration.observe({ controller: 'Instance' }, 0.3);
    metrics.providerCalls.inc({ provider: 'aws-east', op: 'create', outcome: 'ok' });
    metrics.queueDepth.set({ controller: 'Instance' }, 7);
    metrics.circuitState.set({ provider: 'aws-east' }, CIRCUIT_STATE_GAUGE_VALUE.open);

    const text = await metrics.registry.metrics();
    expect(invalidLines(text)).toEqual([]);
    for (const [name, type] of [
      ['tessera_http_request_duration_seconds', 'histogram'],
      ['tessera_reconciles_total', 'counter'],
      ['tessera_reconcile_duration_seconds', 'histogram'],
      ['tessera_provider_calls_total', 'counter'],
      ['tessera_controller_queue_depth', 'gauge'],
      ['tessera_provider_circuit_state', 'gauge'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}`);
    }
    expect(text).toContain('tessera_http_request_duration_seconds_count{method="GET",route="/v1/instances/:id",status="200"} 1');
    expect(text).toContain('tessera_reconciles_total{controller="Instance",result="success"} 1');
    expect(text).toContain('tessera_provider_calls_total{provider="aws-east",op="create",outcome="ok"} 1');
    expect(text).toContain('tessera_controller_queue_depth{controller="Instance"} 7');
    expect(text).toContain('tessera_provider_circuit_state{provider="aws-east"} 2');
    expect(text).toContain('# HELP tessera_provider_circuit_state Circuit breaker state per provider: 0 closed, 1 half-open, 2 open');
  });

  it('includes the default process metrics', async () => {
    const text = await createMetrics().registry.metrics();
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
  });

  it('gives each call its own registry, so several servers can share a process', async () => {
    const first = createMetrics();
    const second = createMetrics();
    first.reconciles.inc({ controller: 'Instance', result: 'error' });
    expect(await first.registry.metrics()).toContain('tessera_reconciles_total{controller="Instance",result="error"} 1');
    expect(await second.registry.metrics()).not.toContain('result="error"');
  });
});
