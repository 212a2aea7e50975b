import { createHash } from 'node:crypto';
import { hexId, type RegionState, type Subnet } from '../account.js';
import { clientError, Ec2Error, invalidParameterValue, malformedId, missingParameter } from '../ec2-error.js';
import { SimulatedInstance } from '../instance.js';
import { el, set, type XmlContent } from '../xml.js';
import type { ActionContext } from './context.js';

const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
const USER_DATA_LIMIT_BYTES = 16 * 1024;
const CLIENT_TOKEN_MAX = 64;
const TAGS_PER_RESOURCE = 50;

/**
 * RunInstances: ClientToken idempotency first (a repeat of a request that succeeded returns its reservation,
 * whatever has changed since; the same token with other parameters is IdempotentParameterMismatch), then the
 * parameters, then placement, quota and capacity — and only a launch that succeeded binds the token.
 */
export function runInstances(ctx: ActionContext): XmlContent[] {
  const { params, region, account } = ctx;
  const token = params.get('ClientToken') ?? null;
  if (token !== null) {
    if (token.length > CLIENT_TOKEN_MAX || !/^[\x20-\x7e]*$/.test(token)) {
      throw invalidParameterValue(`Value (${token}) for parameter clientToken is invalid. Client tokens are up to ${CLIENT_TOKEN_MAX} ASCII characters.`);
    }
    const earlier = region.clientTokens.get(token);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint(ctx)) {
        throw clientError('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).');
      }
      return reservationXml(ctx, earlier.reservationId, earlier.instanceIds.map((id) => region.instances.get(id)!));
    }
  }

  const launch = validated(ctx);
  const zone = placeIn(ctx, launch);
  checkQuota(ctx, launch);
  if (account.faults.lacksCapacity(region.name, zone)) throw insufficientCapacity(ctx, launch.instanceType, zone, launch.zoneAsked);

  const reservationId = hexId('r');
  const subnet = launch.subnet ?? region.subnetOfZone(zone);
  const instances: SimulatedInstance[] = [];
  for (let n = 0; n < launch.count; n++) {
    const instance = new SimulatedInstance(
      {
        id: hexId('i'),
        reservationId,
        region: region.name,
        zone,
        instanceType: launch.instanceType,
        imageId: launch.imageId,
        arch: launch.arch,
        clientToken: token,
        market: launch.market,
        subnetId: subnet.id,
        vpcId: region.vpcId,
        privateIp: region.allocatePrivateIp(subnet),
        securityGroups: launch.securityGroups,
        userData: launch.userData,
        tags: launch.tags,
        launchTime: new Date(Math.floor(ctx.now / 1000) * 1000),
      },
      account.options.transitionMs,
      account.allocatePublicIp,
      ctx.now,
    );
    region.instances.set(instance.id, instance);
    instances.push(instance);
  }
  if (token !== null) region.clientTokens.set(token, { fingerprint: fingerprint(ctx), reservationId, instanceIds: instances.map((i) => i.id) });
  return reservationXml(ctx, reservationId, instances);
}

interface Launch {
  imageId: string;
  arch: string;
  instanceType: string;
  count: number;
  zoneAsked: string | null;
  subnet: Subnet | null;
  securityGroups: { id: string; name: string }[];
  market: 'on-demand' | 'spot';
  userData: string | null;
  tags: [string, string][];
}

function validated(ctx: ActionContext): Launch {
  const { params, region, account } = ctx;
  const imageId = params.get('ImageId');
  if (!imageId) throw missingParameter('ImageId');
  const minCount = params.int('MinCount');
  const maxCount = params.int('MaxCount');
  if (minCount === undefined) throw missingParameter('MinCount');
  if (maxCount === undefined) throw missingParameter('MaxCount');
  if (minCount < 1 || maxCount < minCount) throw invalidParameterValue(`Value (${minCount}) for parameter minCount is invalid. Expected a value between 1 and ${maxCount}.`);

  if (!AMI_ID.test(imageId)) throw malformedId('InvalidAMIID', imageId, 'ami');
  const ami = region.amis.get(imageId);
  if (!ami) throw clientError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);

  const instanceType = params.get('InstanceType') ?? 'm1.small';
  const type = account.instanceTypes.get(instanceType);
  if (!type || !region.instanceTypes.has(instanceType)) throw invalidParameterValue(`Invalid value '${instanceType}' for InstanceType.`);
  if (type.arch !== ami.arch) {
    throw invalidParameterValue(
      `The architecture '${type.arch}' of the specified instance type does not match the architecture '${ami.arch}' of the specified AMI. ` +
        'Specify an instance type and an AMI that have matching architectures, and try again.',
    );
  }

  const subnetId = params.get('SubnetId');
  let subnet: Subnet | null = null;
  if (subnetId !== undefined) {
    if (!/^subnet-[0-9a-f]+$/.test(subnetId)) throw malformedId('InvalidSubnetID', subnetId, 'subnet');
    subnet = region.subnets.get(subnetId) ?? null;
    if (!subnet) throw clientError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
  }
  const securityGroups = params.list('SecurityGroupId').map((id) => {
    if (id !== region.defaultSecurityGroup.id) throw clientError('InvalidGroup.NotFound', `The security group '${id}' does not exist in VPC '${region.vpcId}'`);
    return region.defaultSecurityGroup;
  });

  const marketType = params.get('InstanceMarketOptions.MarketType');
  if (marketType !== undefined && marketType !== 'spot') throw invalidParameterValue(`Value (${marketType}) for parameter MarketType is invalid.`);
  const spotType = params.get('InstanceMarketOptions.SpotOptions.SpotInstanceType');
  if (spotType !== undefined && spotType !== 'one-time' && spotType !== 'persistent') throw invalidParameterValue(`Value (${spotType}) for parameter SpotInstanceType is invalid.`);

  return {
    imageId,
    arch: ami.arch,
    instanceType,
    count: maxCount,
    zoneAsked: params.get('Placement.AvailabilityZone') ?? null,
    subnet,
    securityGroups: securityGroups.length > 0 ? securityGroups : [region.defaultSecurityGroup],
    market: marketType === 'spot' ? 'spot' : 'on-demand',
    userData: checkedUserData(params.get('UserData')),
    tags: instanceTags(ctx),
  };
}

function checkedUserData(userData: string | undefined): string | null {
  if (userData === undefined) return null;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(userData) || userData.length % 4 !== 0) throw invalidParameterValue('Invalid BASE64 encoding of user data.');
  if (Buffer.from(userData, 'base64').length > USER_DATA_LIMIT_BYTES) throw invalidParameterValue(`User data is limited to ${USER_DATA_LIMIT_BYTES} bytes`);
  return userData;
}

/** The tags of the `instance` TagSpecification, checked as EC2 checks tags (EC2 user guide, tag restrictions). */
function instanceTags(ctx: ActionContext): [string, string][] {
  const specs = ctx.params.tagSpecifications();
  for (const s of specs) {
    if (!['instance', 'volume', 'network-interface', 'spot-instances-request'].includes(s.resourceType)) {
      throw invalidParameterValue(`'${s.resourceType}' is not a valid taggable resource type for this operation.`);
    }
    const keys = new Set<string>();
    for (const [key, value] of s.tags) {
      if (key.length < 1 || key.length > 128) throw invalidParameterValue(`Tag key must be between 1 and 128 characters: '${key}'`);
      if (value.length > 256) throw invalidParameterValue(`Tag value exceeds the maximum length of 256 characters (key '${key}')`);
      if (key.toLowerCase().startsWith('aws:')) throw invalidParameterValue(`Tag keys starting with 'aws:' are reserved for internal use`);
      if (keys.has(key)) throw invalidParameterValue(`Duplicate tag key '${key}' specified.`);
      keys.add(key);
    }
    if (s.tags.length > TAGS_PER_RESOURCE) throw clientError('TagLimitExceeded', `The maximum number of tags per resource is ${TAGS_PER_RESOURCE}.`);
  }
  return specs.filter((s) => s.resourceType === 'instance').flatMap((s) => s.tags);
}

/** The zone: the subnet's, else the one asked for, else the first with the type on offer and capacity. */
function placeIn(ctx: ActionContext, launch: Launch): string {
  const { region, account } = ctx;
  if (launch.zoneAsked !== null && !region.zone(launch.zoneAsked)) throw invalidParameterValue(`Invalid availability zone: [${launch.zoneAsked}]`);
  if (launch.subnet && launch.zoneAsked !== null && launch.subnet.zone !== launch.zoneAsked) {
    throw invalidParameterValue(`Value (${launch.zoneAsked}) for parameter availabilityZone is invalid. Subnet '${launch.subnet.id}' is in the availability zone ${launch.subnet.zone}`);
  }
  const fixed = launch.subnet?.zone ?? launch.zoneAsked;
  if (fixed !== null) {
    if (!offersType(region, fixed, launch.instanceType)) {
      throw clientError(
        'Unsupported',
        `Your requested instance type (${launch.instanceType}) is not supported in your requested Availability Zone (${fixed}). ` +
          `Please retry your request by not specifying an Availability Zone or choosing ${zonesOffering(region, launch.instanceType).join(', ')}.`,
      );
    }
    return fixed;
  }
  const candidates = region.zones.filter((z) => offersType(region, z.name, launch.instanceType));
  const withCapacity = candidates.find((z) => !account.faults.lacksCapacity(region.name, z.name));
  return (withCapacity ?? candidates[0] ?? region.zones[0]!).name;
}

function offersType(region: RegionState, zone: string, instanceType: string): boolean {
  return !(region.zone(zone)?.unsupportedTypes ?? []).includes(instanceType);
}

function zonesOffering(region: RegionState, instanceType: string): string[] {
  return region.zones.filter((z) => offersType(region, z.name, instanceType)).map((z) => z.name);
}

function checkQuota(ctx: ActionContext, launch: Launch): void {
  const { account, region } = ctx;
  if (account.faults.quotaOn) {
    if (launch.market === 'spot') throw clientError('MaxSpotInstanceCountExceeded', 'Max spot instance count exceeded');
    throw clientError(
      'VcpuLimitExceeded',
      'You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket that the specified instance type belongs to. ' +
        'Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.',
    );
  }
  const limit = account.options.maxInstances;
  if (limit !== null) {
    const live = region.visibleInstances(ctx.now, account.options.terminatedVisibleMs).filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down').length;
    if (live + launch.count > limit) {
      throw clientError('InstanceLimitExceeded', `Your quota allows for ${Math.max(0, limit - live)} more running instance(s). You requested at least ${launch.count}.`);
    }
  }
}

function insufficientCapacity(ctx: ActionContext, instanceType: string, zone: string, zoneAsked: string | null): Ec2Error {
  const others = zonesOffering(ctx.region, instanceType).filter((z) => z !== zone && !ctx.account.faults.lacksCapacity(ctx.region.name, z));
  const message =
    zoneAsked === null || others.length === 0
      ? `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity.`
      : `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity. ` +
        `You can currently get ${instanceType} capacity by not specifying an Availability Zone in your request or choosing ${others.join(', ')}.`;
  // A server error on EC2 (HTTP 500): SDKs retry it before giving up.
  return new Ec2Error('InsufficientInstanceCapacity', 500, message, `injected fault: no capacity in ${zone}`);
}

/** What makes two RunInstances "the same request": every parameter but the token itself. */
function fingerprint(ctx: ActionContext): string {
  const relevant = ctx.params
    .entries()
    .filter(([k]) => k !== 'ClientToken' && k !== 'Action' && k !== 'Version')
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
}

function reservationXml(ctx: ActionContext, reservationId: string, instances: SimulatedInstance[]): XmlContent[] {
  for (const i of instances) i.advance(ctx.now);
  return [el('reservationId', reservationId), el('ownerId', ctx.account.options.accountId), set('groupSet', []), set('instancesSet', instances.map((i) => i.toXml()))];
}
