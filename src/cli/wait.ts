import { isSettled } from '../core/instance.js';
import type { Instance, WatchEvent } from './api-types.js';
import type { ApiClient } from './client.js';
import { CommandFailedError } from './errors.js';
import { getInstanceOrNull } from './instance-api.js';
import type { OutputStream } from './io.js';
import { PhaseProgress } from './progress.js';
import { sleep } from './sleep.js';
import { openWatch, type WatchConnection } from './watch-stream.js';

/** Where `--wait` stops: the phase the command asked for (Deleted also when the instance is gone, 404). */
export type InstanceGoal = 'Running' | 'Stopped' | 'Deleted';

export interface WaitOptions {
  timeoutSeconds: number;
  /** Where progress goes: stderr, so that stdout carries only the result (valid JSON under `-o json`). */
  progressStream: OutputStream;
}

/** How often to ask when the watch is not available: often enough to feel live, rarely enough to be cheap. */
const POLL_INTERVAL_MS = 1000;

/** A finished wait: the instance as it ended, or null when it no longer exists. */
type Arrival = { instance: Instance | null };

/**
 * Follows an instance until it reaches `goal`, through the SSE watch, or by polling GET once a second when the
 * watch cannot be opened or breaks. Throws CommandFailedError when the instance ends Failed or time runs out.
 */
export async function waitForInstance(
  client: ApiClient,
  start: Instance,
  goal: InstanceGoal,
  options: WaitOptions,
): Promise<Instance | null> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error('timeout')), options.timeoutSeconds * 1000);
  const progress = new PhaseProgress(options.progressStream, `instance ${start.name} (${start.id})`);
  let last = start;

  /** Judges one observed state: arrived, failed (throws), or not yet (undefined). */
  const judge = (instance: Instance | null): Arrival | undefined => {
    if (instance === null) {
      if (goal === 'Deleted') return { instance: null };
      throw new CommandFailedError(`instance ${start.id} was deleted while waiting for it to be ${goal}`);
    }
    last = instance;
    progress.update(instance.status.phase);
    return arrived(instance, goal);
  };

  try {
    const arrival =
      judge(start) ??
      (await followByWatch(client, start.id, judge, deadline.signal)) ??
      (await followByPolling(client, start.id, judge, deadline.signal));
    return arrival.instance;
  } catch (error) {
    if (deadline.signal.aborted) {
      throw new CommandFailedError(
        `timed out after ${options.timeoutSeconds}s waiting for instance ${start.id} to be ${goal} ` +
          `(it is ${last.status.phase}); it may still get there: check with "tessera instance get ${start.id}"`,
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
    progress.finish();
  }
}

function arrived(instance: Instance, goal: InstanceGoal): Arrival | undefined {
  const { phase, reason, message } = instance.status;
  if (phase === 'Failed') {
    const why = [reason, message].filter(Boolean).join(': ') || 'no reason given';
    throw new CommandFailedError(`instance ${instance.id} failed: ${why}`);
  }
  if (goal === 'Deleted') return phase === 'Deleted' ? { instance } : undefined;
  if (phase === 'Deleted') throw new CommandFailedError(`instance ${instance.id} was deleted while waiting for it to be ${goal}`);
  // The phase alone can be stale: after "stop" an instance still reads Running until its controller has acted
  // on the new spec, and a reboot leaves it Running throughout. isSettled knows what the controller owes.
  return phase === goal && isSettled(instance) ? { instance } : undefined;
}

/** Follows the watch; resolves undefined when it cannot be opened or ends early, so that polling takes over. */
async function followByWatch(
  client: ApiClient,
  id: string,
  judge: (instance: Instance | null) => Arrival | undefined,
  signal: AbortSignal,
): Promise<Arrival | undefined> {
  let connection: WatchConnection;
  try {
    connection = await openWatch(client, { kind: 'Instance', id }, signal);
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  }
  try {
    // Subscribed first, read second: a change between the command's request and the subscription is not lost.
    const now = judge(await getInstanceOrNull(client, id, signal));
    if (now) return now;
    const events = connection[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<WatchEvent>;
      try {
        next = await events.next();
      } catch (error) {
        if (signal.aborted) throw error;
        return undefined; // the stream broke
      }
      if (signal.aborted) throw signal.reason;
      if (next.done) return undefined;
      const event = next.value;
      if (event.resourceId !== id) continue;
      // An event without the resource (e.g. its removal): ask the server what is left.
      const instance = event.resource ? (event.resource as Instance) : await getInstanceOrNull(client, id, signal);
      const arrival = judge(instance);
      if (arrival) return arrival;
    }
  } finally {
    connection.close();
  }
}

async function followByPolling(
  client: ApiClient,
  id: string,
  judge: (instance: Instance | null) => Arrival | undefined,
  signal: AbortSignal,
): Promise<Arrival> {
  for (;;) {
    await sleep(POLL_INTERVAL_MS, signal);
    const arrival = judge(await getInstanceOrNull(client, id, signal));
    if (arrival) return arrival;
  }
}
