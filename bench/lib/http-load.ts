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
  /** Sent with every request (both servers get the same, so the bytes on the wire match). */
  headers?: Record<string, string>;
}

export interface LoadResult {
  requestsPerSecond: number;
  total: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /**
   * Busy time of this (main) thread per request, in µs: the servers the benchmarks measure run on it, the load
   * generator does not. Less sensitive to a shared machine than requests/s, so it shows where a gap comes from.
   */
  mainThreadMicrosPerRequest: number;
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
  if (opts.warmupSeconds) await autocannon({ ...common(opts), duration: opts.warmupSeconds });
  const loopBefore = performance.eventLoopUtilization();
  const result = await autocannon({
    ...common(opts),
    duration: opts.durationSeconds,
    ...(opts.overallRate ? { overallRate: opts.overallRate, ignoreCoordinatedOmission: true } : {}),
  });
  const loop = performance.eventLoopUtilization(loopBefore);
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
    mainThreadMicrosPerRequest: (loop.active * 1000) / Math.max(1, total),
  };
}

function common(opts: LoadOptions) {
  return {
    url: opts.url,
    requests: opts.paths.map((path) => ({ method: 'GET' as const, path, headers: opts.headers })),
    connections: opts.connections,
    workers: 1,
  };
}
