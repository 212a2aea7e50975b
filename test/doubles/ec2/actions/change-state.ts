import { clientError, missingParameter } from '../ec2-error.js';
import { stateXml, type Ec2State, type SimulatedInstance } from '../instance.js';
import { el, set, type XmlContent } from '../xml.js';
import type { ActionContext } from './context.js';
import { byIds, visible } from './describe-instances.js';

/**
 * Start, Stop, Reboot and TerminateInstances. Every instance named must exist and accept the change, or none
 * is changed (EC2 checks the whole request first). Asking for the state an instance is in or going to is not
 * an error: EC2 answers with the current state as both previous and current.
 */

type Change = (i: SimulatedInstance, now: number) => void;

export function startInstances(ctx: ActionContext): XmlContent[] {
  return stateChange(ctx, (i) => {
    if (i.state === 'stopped') return (x, now) => x.begin('pending', 'running', now);
    if (i.state === 'pending' || i.state === 'running') return null;
    throw incorrectState(i, 'started');
  });
}

export function stopInstances(ctx: ActionContext): XmlContent[] {
  return stateChange(ctx, (i) => {
    if (i.facts.market === 'spot') {
      throw clientError(
        'UnsupportedOperation',
        `You can't stop the Spot Instance '${i.id}' because it is associated with a one-time Spot Instance request. You can only stop Spot Instances associated with persistent Spot Instance requests.`,
      );
    }
    if (i.state === 'running') return (x, now) => x.begin('stopping', 'stopped', now, { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' });
    if (i.state === 'stopping' || i.state === 'stopped') return null;
    throw incorrectState(i, 'stopped');
  });
}

export function terminateInstances(ctx: ActionContext): XmlContent[] {
  return stateChange(ctx, (i) => {
    if (i.state === 'shutting-down' || i.state === 'terminated') return null;
    return (x, now) => x.begin('shutting-down', 'terminated', now, { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' });
  });
}

/** RebootInstances answers `<return>true</return>`; the instance stays `running` throughout, as on EC2. */
export function rebootInstances(ctx: ActionContext): XmlContent[] {
  const targets = targetsOf(ctx);
  for (const i of targets) if (i.state !== 'running') throw incorrectState(i, 'rebooted');
  for (const i of targets) i.reboots += 1;
  return [el('return', true)];
}

function stateChange(ctx: ActionContext, plan: (i: SimulatedInstance) => Change | null): XmlContent[] {
  const targets = targetsOf(ctx);
  const changes = targets.map((i) => ({ instance: i, previous: i.state as Ec2State, change: plan(i) }));
  for (const c of changes) c.change?.(c.instance, ctx.now);
  return [
    set(
      'instancesSet',
      changes.map((c) => [el('instanceId', c.instance.id), stateXml('currentState', c.instance.state), stateXml('previousState', c.previous)]),
    ),
  ];
}

function targetsOf(ctx: ActionContext): SimulatedInstance[] {
  const ids = ctx.params.list('InstanceId');
  if (ids.length === 0) throw missingParameter('InstanceId');
  return byIds(visible(ctx), ids);
}

function incorrectState(i: SimulatedInstance, verb: string) {
  return clientError('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be ${verb}.`);
}
