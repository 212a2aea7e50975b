import { readFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export interface RssPeak {
  /** Highest RSS seen by the sampler. */
  peakBytes: number;
  samples: number;
  /** The kernel's own high-water mark since the sampler started (Linux VmHWM); null where unavailable. */
  kernelPeakBytes: number | null;
}

export interface RssSampler {
  stop(): Promise<RssPeak>;
}

/**
 * The sampler runs on a worker thread: better-sqlite3 is synchronous, so the main thread can go a long while
 * without reaching its timers, and a sampler there would miss exactly the busy moments. RSS is per process,
 * so the worker sees the main thread's memory. Plain JS evaluated in the worker (worker threads do not load
 * TypeScript through tsx).
 */
const SAMPLER_SOURCE = `
  const { parentPort, workerData } = require('node:worker_threads');
  let peak = 0;
  let samples = 0;
  const sample = () => { peak = Math.max(peak, process.memoryUsage.rss()); samples++; };
  sample();
  const timer = setInterval(sample, workerData.intervalMs);
  parentPort.once('message', () => { clearInterval(timer); sample(); parentPort.postMessage({ peak, samples }); });
`;

/** Starts sampling `process.memoryUsage().rss` every `intervalMs`; resets the kernel's high-water mark too. */
export async function startRssSampler(intervalMs = 50): Promise<RssSampler> {
  const worker = new Worker(SAMPLER_SOURCE, { eval: true, workerData: { intervalMs } });
  await new Promise<void>((resolve, reject) => worker.once('online', resolve).once('error', reject));
  const kernelPeakAvailable = resetKernelPeak();
  return {
    stop: async () => {
      const result = new Promise<{ peak: number; samples: number }>((resolve) => worker.once('message', resolve));
      worker.postMessage('stop');
      const { peak, samples } = await result;
      await worker.terminate();
      return { peakBytes: peak, samples, kernelPeakBytes: kernelPeakAvailable ? kernelPeak() : null };
    },
  };
}

/** Writing 5 to clear_refs sets VmHWM back to the current RSS (Linux ≥ 4.0); false where that is not possible. */
function resetKernelPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return kernelPeak() !== null;
  } catch {
    return false;
  }
}

function kernelPeak(): number | null {
  try {
    const kib = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}
