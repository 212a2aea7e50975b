import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  /** Paths requested in turn by every connection (autocannon cycles through them). */
  paths: string[];
  connections: number;
  durationSeconds: number;
  warmupSeconds?: number;
  /** Requests per second over all connections; omitted: as fast as the server answers. */
  overallRate?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  total: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/**
 * Drives HTTP load with autocannon from a worker thread (`workers: 1`): the load generator then has a core of
 * its own instead of sharing the event loop of the server it measures, which would halve both.
 *
 * With `overallRate`, autocannon lets each connection send its share of the second's requests back to back
 * and then pause until the next second, so the latencies are those of short bursts at `connections`
 * concurrency: a pessimistic reading of "latency at this rate". Its coordinated-omission correction assumes a
 * 1 ms interval whatever the rate, so it is switched off and raw latencies are reported.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: opts.url,
    requests: opts.paths.map((path) => ({ method: 'GET', path })),
    connections: opts.connections,
    duration: opts.durationSeconds,
    workers: 1,
    ...(opts.warmupSeconds ? { warmup: { connections: opts.connections, duration: opts.warmupSeconds } } : {}),
    ...(opts.overallRate ? { overallRate: opts.overallRate, ignoreCoordinatedOmission: true } : {}),
  });
  const total = result.requests.total;
  return {
    requestsPerSecond: total / result.duration,
    total,
    non2xx: result.non2xx,
    errors: result.errors,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
  };
}
