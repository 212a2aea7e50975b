import { el, set, type Xml, type XmlContent } from './xml.js';

/** EC2's instance states with their documented codes (InstanceState.Code, the low byte). */
export const STATE_CODES = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 } as const;
export type Ec2State = keyof typeof STATE_CODES;

export interface LaunchFacts {
  id: string;
  reservationId: string;
  region: string;
  zone: string;
  instanceType: string;
  imageId: string;
  arch: string;
  clientToken: string | null;
  market: 'on-demand' | 'spot';
  subnetId: string;
  vpcId: string;
  privateIp: string;
  securityGroups: { id: string; name: string }[];
  /** Base64, as received. */
  userData: string | null;
  tags: [string, string][];
  launchTime: Date;
}

/**
 * One instance and its lifecycle. Transitions are lazy: each state change records when the next state is due,
 * and every read first catches up with the clock — no timers to leak, and a test's clock decides.
 */
export class SimulatedInstance {
  readonly facts: LaunchFacts;
  readonly tags: Map<string, string>;
  state: Ec2State = 'pending';
  publicIp: string | null = null;
  reboots = 0;
  /** When the instance reached `terminated`: it stays visible for a while, then is gone. */
  terminatedAt: number | null = null;
  private transition: { to: Ec2State; at: number } | null;
  private stateReason: { code: string; message: string } | null = null;

  constructor(
    facts: LaunchFacts,
    private readonly transitionMs: number,
    private readonly allocatePublicIp: () => string,
    now: number,
  ) {
    this.facts = facts;
    this.tags = new Map(facts.tags);
    this.transition = { to: 'running', at: now + transitionMs };
  }

  get id(): string {
    return this.facts.id;
  }

  /** Applies every transition that is due by `now`. */
  advance(now: number): void {
    while (this.transition && this.transition.at <= now) {
      const { to, at } = this.transition;
      this.transition = null;
      this.enter(to, at);
    }
  }

  /** Moves to `via` now and on to `to` after the transition time (stop, start, terminate). */
  begin(via: Ec2State, to: Ec2State, now: number, reason?: { code: string; message: string }): void {
    this.enter(via, now);
    this.transition = { to, at: now + this.transitionMs };
    if (reason) this.stateReason = reason;
  }

  private enter(state: Ec2State, at: number): void {
    this.state = state;
    if (state === 'running') {
      this.publicIp ??= this.allocatePublicIp();
      this.stateReason = null;
    }
    // EC2 releases an auto-assigned public address when the instance stops or terminates.
    if (state === 'stopped' || state === 'terminated') this.publicIp = null;
    if (state === 'terminated') this.terminatedAt = at;
  }

  /** The `<item>` body of an instance, as DescribeInstances and RunInstances answer it. */
  toXml(): XmlContent[] {
    const f = this.facts;
    const dnsSuffix = f.region === 'us-east-1' ? 'ec2.internal' : `${f.region}.compute.internal`;
    const gone = this.state === 'terminated';
    return [
      el('instanceId', f.id),
      el('imageId', f.imageId),
      stateXml('instanceState', this.state),
      el('privateDnsName', gone ? '' : `ip-${f.privateIp.replace(/\./g, '-')}.${dnsSuffix}`),
      el('dnsName', this.publicIp ? `ec2-${this.publicIp.replace(/\./g, '-')}.compute-1.amazonaws.com` : ''),
      el('reason', this.stateReason ? `${this.stateReason.message}` : ''),
      el('amiLaunchIndex', 0),
      set('productCodes', []),
      el('instanceType', f.instanceType),
      el('launchTime', f.launchTime),
      el('placement', [el('availabilityZone', f.zone), el('groupName', ''), el('tenancy', 'default')]),
      el('monitoring', el('state', 'disabled')),
      gone ? null : el('subnetId', f.subnetId),
      gone ? null : el('vpcId', f.vpcId),
      gone ? null : el('privateIpAddress', f.privateIp),
      el('ipAddress', this.publicIp),
      el('sourceDestCheck', true),
      set('groupSet', f.securityGroups.map((g) => [el('groupId', g.id), el('groupName', g.name)])),
      this.stateReason ? el('stateReason', [el('code', this.stateReason.code), el('message', this.stateReason.message)]) : null,
      el('architecture', f.arch),
      el('rootDeviceType', 'ebs'),
      el('rootDeviceName', '/dev/xvda'),
      set('blockDeviceMapping', []),
      f.market === 'spot' ? el('instanceLifecycle', 'spot') : null,
      f.market === 'spot' ? el('spotInstanceRequestId', `sir-${f.id.slice(2, 10)}`) : null,
      el('virtualizationType', 'hvm'),
      el('clientToken', f.clientToken ?? ''),
      set('tagSet', [...this.tags].map(([key, value]) => [el('key', key), el('value', value)])),
      el('hypervisor', 'xen'),
      set('networkInterfaceSet', []),
      el('ebsOptimized', false),
      el('enaSupport', true),
    ];
  }
}

export function stateXml(name: string, state: Ec2State): Xml {
  return el(name, [el('code', STATE_CODES[state]), el('name', state)]);
}
