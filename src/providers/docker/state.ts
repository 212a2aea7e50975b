import type { ObservedState } from '../driver.js';

/** What the engine reports in `State.Status` (inspect) or `State` (list). */
export type DockerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/**
 * A container's state, normalised. Two choices differ from a literal reading:
 * - `created` (made, never started) is `stopped`, never `pending`: nothing is starting it. A crash between
 *   create and start leaves exactly this, and the instance controller powers on a `stopped` machine it wants
 *   running — as `pending` it would wait forever for a start no one sends.
 * - `paused` (frozen by `docker pause`) is `stopped`: it serves nothing; power on unpauses it.
 */
const OBSERVED: Record<DockerState, ObservedState> = {
  created: 'stopped',
  running: 'running',
  paused: 'stopped',
  restarting: 'pending',
  removing: 'terminating',
  exited: 'stopped',
  dead: 'terminated',
};

export function observedState(state: string): ObservedState {
  // An engine newer than this mapping may report a state it does not know: call it pending (it is changing).
  return OBSERVED[state as DockerState] ?? 'pending';
}

/** States in which a container holds its CPU and memory limits on the host. */
export function holdsResources(state: string): boolean {
  return state === 'running' || state === 'restarting' || state === 'paused';
}

/** States in which a container still takes one of the host's container slots (the quota). */
export function takesSlot(state: string): boolean {
  return state !== 'removing' && state !== 'dead';
}
