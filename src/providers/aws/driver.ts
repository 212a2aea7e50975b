import {
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  paginateDescribeInstances,
  paginateDescribeInstanceTypes,
  RebootInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Filter,
  type Instance,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import type { Image, Offer, Region } from '../../core/offer.js';
import {
  ProviderError,
  TESSERA_TOKEN_LABEL,
  type CreateRequest,
  type Driver,
  type DriverContext,
  type DriverFactory,
  type InstanceRef,
  type ListOptions,
  type ListPrice,
  type ObservedInstance,
  type PowerAction,
} from '../driver.js';
import { RegionClients } from './clients.js';
import { parseAwsConfig, parseStoredKeys, type AwsConfig, type AwsRegionConfig } from './config.js';
import { credentialSource } from './credentials.js';
import { classifyEc2Error } from './errors.js';
import { ImageCatalog } from './images.js';
import { offersOf } from './offers.js';
import { preferLive, toObserved } from './observed.js';
import { instanceTypeFacts, RegionFactsCache, zoneFacts, type InstanceTypeFacts, type RegionFacts } from './region-facts.js';
import { clientTokenFor, instanceTags, literalFilterValue } from './tags.js';
import { pageSizeOf, regroup } from '../list-pages.js';

/**
 * The `aws` driver: EC2 through @aws-sdk/client-ec2. An instance is an EC2 instance launched with RunInstances,
 * whose ClientToken is Tessera's create token — EC2 then answers a repeated launch with the first one, never a
 * second instance — and whose tags carry Tessera's id and token, so observe-before-create finds a launch whose
 * answer was lost. The driver keeps no state of its own beyond a cache of each region's instance types and zones.
 */

export const DEFAULT_LIST_PAGE_SIZE = 1000;
/** EC2's bounds on DescribeInstances MaxResults. */
const DESCRIBE_MIN = 5;
const DESCRIBE_MAX = 1000;
/** EC2's ceiling on DescribeInstanceTypes MaxResults. */
const INSTANCE_TYPES_PAGE = 100;
/** EC2 takes at most 16 KB of user data, before base64. */
const USER_DATA_LIMIT_BYTES = 16 * 1024;
/** Every state but terminated: what the account holds (terminated instances stay listed for about an hour). */
const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

export const createAwsDriver: DriverFactory = async (name, config, ctx) => AwsDriver.fromConfig(name, config, ctx);

export class AwsDriver implements Driver {
  readonly type = 'aws';
  readonly simulated = false;
  private readonly facts: RegionFactsCache;

  private constructor(
    readonly name: string,
    private readonly config: AwsConfig,
    private readonly clients: RegionClients,
    private readonly credentials: string,
    private readonly imageCatalog: ImageCatalog,
    private readonly listPrices: ((cloud: string) => Promise<ListPrice[]>) | undefined,
  ) {
    this.facts = new RegionFactsCache(config.catalogCacheSeconds * 1000, (region) => this.loadFacts(region));
  }

  /** Builds the driver without calling AWS: credentials and regions are first used, and reported on, by the first call. */
  static fromConfig(name: string, raw: unknown, ctx: DriverContext): AwsDriver {
    const config = parseAwsConfig(name, raw);
    const source = credentialSource(name, config, parseStoredKeys(name, ctx.credentials));
    return new AwsDriver(name, config, new RegionClients(config, source), source.description, new ImageCatalog(name, config.images), ctx.listPrices);
  }

  async offers(): Promise<Offer[]> {
    const prices = (await this.listPrices?.('aws')) ?? [];
    const perRegion = await Promise.all(this.config.regions.map(async (r) => offersOf(this.name, r.name, await this.facts.get(r.name), prices)));
    return perRegion.flat();
  }

  /** The configured regions with their zones; a configured region the account has not enabled is an error that says so. */
  async regions(): Promise<Region[]> {
    const first = this.config.regions[0]!.name;
    const answer = await this.call(first, 'DescribeRegions', 'list the regions enabled for the account', (c) => c.send(new DescribeRegionsCommand({ AllRegions: true })));
    const known = new Map((answer.Regions ?? []).map((r) => [r.RegionName, r.OptInStatus ?? 'opt-in-not-required']));
    for (const r of this.config.regions) {
      const status = known.get(r.name);
      if (status === undefined || status === 'not-opted-in') {
        throw this.invalid(
          status === undefined ? 'InvalidRegion' : 'OptInRequired',
          status === undefined
            ? `region ${r.name} of aws provider '${this.name}' does not exist for this account (EC2 knows ${[...known.keys()].join(', ')}): correct or remove it in the provider's regions`
            : `region ${r.name} of aws provider '${this.name}' is not enabled for this AWS account (opt-in status ${status}): enable it under Account settings in the AWS console, or remove it from the provider's regions`,
        );
      }
    }
    return Promise.all(
      this.config.regions.map(async (r) => ({ provider: this.name, name: r.name, zones: (await this.facts.get(r.name)).zones.map((z) => z.name), location: null })),
    );
  }

  async images(): Promise<Image[]> {
    return this.imageCatalog.list();
  }

  async observe(ref: InstanceRef): Promise<ObservedInstance | null> {
    const region = this.regionConfig(ref.region).name;
    const filters = this.filtersFor(ref);
    if (!filters) return null;
    const found = await this.describe(region, filters, ref.externalId ? `find instance ${ref.externalId}` : `find the instance of create token ${ref.token}`);
    return preferLive(found.map((i) => toObserved(i, region, this.imageCatalog)));
  }

  async create(req: CreateRequest, token: string): Promise<ObservedInstance> {
    if (token === '') throw this.invalid('MissingParameter', 'a create needs a non-empty idempotency token');
    const input = this.launchInput(req, token);
    const answer = await this.call(req.region, 'RunInstances', `launch instance ${req.name} (${req.flavor}, ${req.market})`, (c) => c.send(new RunInstancesCommand(input)));
    const instance = answer.Instances?.[0];
    if (!instance?.InstanceId) {
      throw new ProviderError('Retryable', `aws provider '${this.name}': RunInstances in ${req.region} answered without an instance; Tessera retries`, this.name, 'EmptyReservation');
    }
    // EC2 always starts what it launches; an instance wanted off is stopped by the controller once it runs.
    return toObserved(instance, req.region, this.imageCatalog);
  }

  async delete(ref: InstanceRef): Promise<void> {
    const region = this.regionConfig(ref.region).name;
    const id = ref.externalId ?? (await this.observe(ref))?.externalId;
    if (!id) return;
    try {
      await this.call(region, 'TerminateInstances', `terminate instance ${id}`, (c) => c.send(new TerminateInstancesCommand({ InstanceIds: [id] })));
    } catch (e) {
      if (e instanceof ProviderError && e.errorClass === 'NotFound') return; // gone already
      throw e;
    }
  }

  async power(ref: InstanceRef, action: PowerAction): Promise<void> {
    const region = this.regionConfig(ref.region).name;
    const id = ref.externalId ?? (await this.observe(ref))?.externalId;
    if (!id) {
      throw new ProviderError('NotFound', `aws provider '${this.name}' has no instance for create token ${ref.token} in ${region}`, this.name, 'InvalidInstanceID.NotFound');
    }
    const ids = { InstanceIds: [id] };
    if (action === 'on') await this.call(region, 'StartInstances', `start instance ${id}`, (c) => c.send(new StartInstancesCommand(ids)));
    else if (action === 'reboot') await this.call(region, 'RebootInstances', `reboot instance ${id}`, (c) => c.send(new RebootInstancesCommand(ids)));
    else {
      try {
        await this.call(region, 'StopInstances', `stop instance ${id}`, (c) => c.send(new StopInstancesCommand(ids)));
      } catch (e) {
        if (e instanceof ProviderError && e.providerCode === 'UnsupportedOperation') {
          throw new ProviderError(
            'Invalid',
            `${e.message}; Tessera launches spot instances as one-time requests, which EC2 cannot stop: delete the instance instead, or run it on-demand`,
            this.name,
            e.providerCode,
          );
        }
        throw e;
      }
    }
  }

  /** Every live instance of every configured region, region by region, in pages of `pageSize` (EC2's own paging underneath). */
  async *list(opts: ListOptions = {}): AsyncGenerator<ObservedInstance[]> {
    const pageSize = pageSizeOf(opts.pageSize, DEFAULT_LIST_PAGE_SIZE, (m) => this.invalid('InvalidParameterValue', m));
    yield* regroup(this.describeLive(Math.min(DESCRIBE_MAX, Math.max(DESCRIBE_MIN, pageSize)), opts.signal), pageSize, opts.signal);
  }

  /** Every live instance of the configured regions, one DescribeInstances page at a time. */
  private async *describeLive(ec2PageSize: number, signal?: AbortSignal): AsyncGenerator<ObservedInstance[]> {
    for (const { name: region } of this.config.regions) {
      signal?.throwIfAborted();
      const pages = paginateDescribeInstances({ client: this.clients.get(region), pageSize: ec2PageSize }, { Filters: [{ Name: 'instance-state-name', Values: LIVE_STATES }] });
      const iterator = pages[Symbol.asyncIterator]();
      for (;;) {
        const next = await this.guard(region, 'DescribeInstances', 'list its instances', () => iterator.next());
        if (next.done) break;
        yield (next.value.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => toObserved(i, region, this.imageCatalog)));
      }
    }
  }

  async close(): Promise<void> {
    this.clients.close();
  }

  // ---- Launch ----

  /** The RunInstances request for a create; local checks first, each message listing the valid choices. */
  private launchInput(req: CreateRequest, token: string): RunInstancesCommandInput {
    const region = this.regionConfig(req.region);
    const imageId = this.imageCatalog.amiFor(req.image, region.name);
    let userData: string | undefined;
    if (req.userData !== null) {
      const raw = Buffer.from(req.userData, 'utf8');
      if (raw.length > USER_DATA_LIMIT_BYTES) {
        throw this.invalid('InvalidParameterValue', `user data is ${raw.length} bytes; EC2 takes at most ${USER_DATA_LIMIT_BYTES} (before base64): shorten it, or have it fetch the rest at boot`);
      }
      // The SDK sends UserData as given; EC2 wants it base64-encoded.
      userData = raw.toString('base64');
    }
    return {
      ImageId: imageId,
      InstanceType: req.flavor as RunInstancesCommandInput['InstanceType'],
      MinCount: 1,
      MaxCount: 1,
      ClientToken: clientTokenFor(token),
      ...(req.zone !== null && { Placement: { AvailabilityZone: req.zone } }),
      ...(region.subnetId !== undefined && { SubnetId: region.subnetId }),
      ...(region.securityGroupIds !== undefined && { SecurityGroupIds: region.securityGroupIds }),
      ...(userData !== undefined && { UserData: userData }),
      // One-time spot, terminated on interruption: a persistent request would relaunch an instance Tessera deleted.
      ...(req.market === 'spot' && { InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } } }),
      TagSpecifications: [{ ResourceType: 'instance', Tags: instanceTags(req, token) }],
    };
  }

  // ---- Reading ----

  private filtersFor(ref: InstanceRef): Filter[] | null {
    if (ref.externalId) return [{ Name: 'instance-id', Values: [literalFilterValue(ref.externalId)] }];
    if (ref.token) return [{ Name: `tag:${TESSERA_TOKEN_LABEL}`, Values: [literalFilterValue(ref.token)] }];
    return null;
  }

  /** Every instance matching the filters (few: by id or by token), across EC2's pages. */
  private async describe(region: string, filters: Filter[], what: string): Promise<Instance[]> {
    const out: Instance[] = [];
    let nextToken: string | undefined;
    do {
      const answer = await this.call(region, 'DescribeInstances', what, (c) => c.send(new DescribeInstancesCommand({ Filters: filters, NextToken: nextToken })));
      for (const r of answer.Reservations ?? []) out.push(...(r.Instances ?? []));
      nextToken = answer.NextToken || undefined;
    } while (nextToken);
    return out;
  }

  private async loadFacts(region: string): Promise<RegionFacts> {
    const client = this.clients.get(region);
    const types = new Map<string, InstanceTypeFacts>();
    const pages = paginateDescribeInstanceTypes({ client, pageSize: INSTANCE_TYPES_PAGE }, {})[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.guard(region, 'DescribeInstanceTypes', 'list its instance types', () => pages.next());
      if (next.done) break;
      for (const info of next.value.InstanceTypes ?? []) {
        const facts = instanceTypeFacts(info);
        types.set(facts.name, facts);
      }
    }
    const zones = await this.call(region, 'DescribeAvailabilityZones', 'list its availability zones', (c) => c.send(new DescribeAvailabilityZonesCommand({})));
    return { instanceTypes: types, zones: zoneFacts(zones.AvailabilityZones ?? []) };
  }

  // ---- Plumbing ----

  private regionConfig(region: string): AwsRegionConfig {
    const found = this.config.regions.find((r) => r.name === region);
    if (!found) {
      throw this.invalid('InvalidRegion', `region '${region}' is not configured for aws provider '${this.name}'; its regions: ${this.config.regions.map((r) => r.name).join(', ')}`);
    }
    return found;
  }

  /** Runs one EC2 call in a region; whatever fails once the SDK's retries are spent comes back as a ProviderError. */
  private call<T>(region: string, action: string, what: string, fn: (client: EC2Client) => Promise<T>): Promise<T> {
    return this.guard(region, action, what, () => fn(this.clients.get(region)));
  }

  private async guard<T>(region: string, action: string, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw classifyEc2Error(e, { provider: this.name, region, action, what, credentials: this.credentials, endpoint: this.config.endpoint });
    }
  }

  private invalid(code: string, message: string): ProviderError {
    return new ProviderError('Invalid', message, this.name, code);
  }
}
