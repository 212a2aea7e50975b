import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Ec2Account, type RegionState, type Subnet } from './account.js';
import { describeAvailabilityZones, describeInstanceTypes, describeRegions } from './actions/describe-catalog.js';
import { describeInstances } from './actions/describe-instances.js';
import { rebootInstances, startInstances, stopInstances, terminateInstances } from './actions/change-state.js';
import type { ActionHandler } from './actions/context.js';
import { runInstances } from './actions/run-instances.js';
import { EXAMPLE_ACCESS_KEY, type InstanceTypeConfig, type RegionConfig } from './catalog.js';
import { authFailure, clientError, Ec2Error, missingParameter, unauthorizedOperation } from './ec2-error.js';
import { Ec2Faults } from './faults.js';
import type { Ec2State } from './instance.js';
import { QueryParams } from './query-params.js';
import { parseAuthorization, signatureProblem } from './sigv4.js';
import { EC2_API_VERSION, errorBody, successBody } from './xml.js';

export type { DoubleFaults } from './faults.js';
export { DEFAULT_AMIS, DEFAULT_INSTANCE_TYPES, DEFAULT_REGIONS, EXAMPLE_ACCESS_KEY } from './catalog.js';
export type { AmiConfig, InstanceTypeConfig, RegionConfig, ZoneConfig } from './catalog.js';

/** A key the double accepts; temporary keys carry their session token, which must come with every call. */
export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Actions this key's policy does not allow: they answer UnauthorizedOperation. */
  deniedActions?: string[];
}

export interface Ec2DoubleOptions {
  regions?: RegionConfig[];
  instanceTypes?: InstanceTypeConfig[];
  /** Default: AWS's documented example key pair. */
  accessKeys?: AccessKey[];
  /** Finds keys minted elsewhere, e.g. the temporary credentials the STS double issued. */
  lookupAccessKey?: (accessKeyId: string) => AccessKey | undefined;
  accountId?: string;
  /** How long pending → running, stopping → stopped and shutting-down → terminated take (default 150 ms). */
  transitionMs?: number;
  /** How long a terminated instance stays listed (EC2: about an hour; default 60 s). */
  terminatedVisibleMs?: number;
  /** The longest page any Describe answers, whatever MaxResults says (EC2 may return fewer too). */
  maxPageSize?: number;
  /** Live instances one region may hold; more answers InstanceLimitExceeded. */
  maxInstances?: number;
}

/** One request as the double received and answered it. */
export interface RecordedEc2Call {
  requestId: string;
  action: string | null;
  /** From the SigV4 credential scope. */
  region: string | null;
  accessKeyId: string | null;
  /** Every Query parameter as received. */
  params: Record<string, string>;
  /** The SDK's `amz-sdk-invocation-id`: the same for every retry of one call. */
  invocationId: string | null;
  /** From `amz-sdk-request: attempt=N; max=M`. */
  attempt: number | null;
  httpStatus: number;
  error?: { code: string; message: string; reason: string };
  /** The create was processed and its answer never sent (dropNextCreateResponse). */
  dropped?: boolean;
}

/** An instance as the double holds it now. */
export interface InstanceSnapshot {
  id: string;
  region: string;
  zone: string;
  instanceType: string;
  imageId: string;
  state: Ec2State;
  market: 'on-demand' | 'spot';
  clientToken: string | null;
  tags: Record<string, string>;
  /** Base64 as received. */
  userData: string | null;
  privateIp: string;
  publicIp: string | null;
  subnetId: string;
  securityGroupIds: string[];
  reboots: number;
}

const HANDLERS: Record<string, ActionHandler> = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  StartInstances: startInstances,
  StopInstances: stopInstances,
  RebootInstances: rebootInstances,
  TerminateInstances: terminateInstances,
  DescribeInstanceTypes: describeInstanceTypes,
  DescribeRegions: describeRegions,
  DescribeAvailabilityZones: describeAvailabilityZones,
};

/**
 * A wire-level double of the EC2 Query API (version 2016-11-15) on http://127.0.0.1 (a free port): form-encoded
 * POSTs signed with SigV4 (checked against the keys it knows), XML answers in EC2's shapes, EC2's error envelope
 * and status codes. One endpoint serves every region: the SigV4 credential scope says which. @aws-sdk/client-ec2
 * works against it unchanged, so its serialisation, signing, retries and paging are what the tests exercise.
 */
export class Ec2Double {
  url = '';
  readonly faults = new Ec2Faults();
  readonly calls: RecordedEc2Call[] = [];
  private readonly account: Ec2Account;
  private readonly keys: Map<string, AccessKey>;
  private readonly sockets = new Set<Socket>();
  private server!: Server;

  private constructor(private readonly options: Ec2DoubleOptions) {
    const defaults = Ec2Account.defaults();
    this.account = new Ec2Account(
      {
        accountId: options.accountId ?? '123456789012',
        regions: options.regions ?? defaults.regions,
        instanceTypes: options.instanceTypes ?? defaults.instanceTypes,
        transitionMs: options.transitionMs ?? 150,
        terminatedVisibleMs: options.terminatedVisibleMs ?? 60_000,
        maxPageSize: options.maxPageSize ?? null,
        maxInstances: options.maxInstances ?? null,
        now: () => Date.now(),
      },
      this.faults,
    );
    this.keys = new Map((options.accessKeys ?? [EXAMPLE_ACCESS_KEY]).map((k) => [k.accessKeyId, k]));
  }

  static async start(options: Ec2DoubleOptions = {}): Promise<Ec2Double> {
    const double = new Ec2Double(options);
    double.server = createServer((req, res) => void double.handle(req, res).catch(() => res.destroy()));
    double.server.on('connection', (s: Socket) => {
      double.sockets.add(s);
      s.on('close', () => double.sockets.delete(s));
    });
    await new Promise<void>((resolve) => double.server.listen(0, '127.0.0.1', resolve));
    double.url = `http://127.0.0.1:${(double.server.address() as AddressInfo).port}`;
    return double;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Calls of one action (every action when omitted), retries included. */
  callCount(action?: string): number {
    return this.calls.filter((c) => action === undefined || c.action === action).length;
  }

  /** Every instance the double holds (terminated ones while still listed), in launch order. */
  instances(region?: string): InstanceSnapshot[] {
    const now = this.account.now();
    return [...this.account.regions.values()]
      .filter((r) => region === undefined || r.name === region)
      .flatMap((r) => r.visibleInstances(now, this.account.options.terminatedVisibleMs))
      .map((i) => ({
        id: i.id,
        region: i.facts.region,
        zone: i.facts.zone,
        instanceType: i.facts.instanceType,
        imageId: i.facts.imageId,
        state: i.state,
        market: i.facts.market,
        clientToken: i.facts.clientToken,
        tags: Object.fromEntries(i.tags),
        userData: i.facts.userData,
        privateIp: i.facts.privateIp,
        publicIp: i.publicIp,
        subnetId: i.facts.subnetId,
        securityGroupIds: i.facts.securityGroups.map((g) => g.id),
        reboots: i.reboots,
      }));
  }

  /** The default subnets of a region, one per zone. */
  subnets(region: string): Subnet[] {
    return [...this.regionState(region).subnets.values()];
  }

  defaultSecurityGroupId(region: string): string {
    return this.regionState(region).defaultSecurityGroup.id;
  }

  /** Adds a key, e.g. one whose policy denies some actions. */
  addAccessKey(key: AccessKey): void {
    this.keys.set(key.accessKeyId, key);
  }

  private regionState(name: string): RegionState {
    const r = this.account.regions.get(name);
    if (!r) throw new Error(`the EC2 double has no region ${name}`);
    return r;
  }

  // ---- One request ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const isForm = req.method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const params = new QueryParams(new URLSearchParams(isForm ? body.toString('utf8') : (req.url ?? '').split('?')[1] ?? ''));
    const claims = parseAuthorization(headerOf(req, 'authorization'));
    const sdkRequest = /attempt=(\d+)/.exec(headerOf(req, 'amz-sdk-request') ?? '');
    const call: RecordedEc2Call = {
      requestId: randomUUID(),
      action: params.get('Action') ?? null,
      region: claims?.region ?? null,
      accessKeyId: claims?.accessKeyId ?? null,
      params: Object.fromEntries(params.entries()),
      invocationId: headerOf(req, 'amz-sdk-invocation-id') ?? null,
      attempt: sdkRequest ? Number(sdkRequest[1]) : null,
      httpStatus: 200,
    };
    this.calls.push(call);

    let responseBody: string;
    let throttled = false;
    try {
      const region = this.authenticate(req, body, params, claims);
      const fault = this.faults.takeCallFault();
      if (fault) {
        throttled = fault.code === 'RequestLimitExceeded';
        throw fault;
      }
      const action = params.get('Action')!;
      const handler = HANDLERS[action];
      if (!handler) throw clientError('InvalidAction', `The action ${action} is not valid for this web service.`);
      if (params.get('DryRun') === 'true') throw new Ec2Error('DryRunOperation', 412, 'Request would have succeeded, but DryRun flag is set.');
      const members = handler({ account: this.account, region, params, now: this.account.now() });
      responseBody = successBody(action, call.requestId, members);
      if (action === 'RunInstances' && this.faults.takeDropCreate()) {
        call.dropped = true;
        await this.delay();
        req.socket.destroy();
        return;
      }
    } catch (e) {
      const error = e instanceof Ec2Error ? e : new Ec2Error('InternalError', 500, 'An internal error has occurred', `bug in the EC2 double: ${(e as Error).stack}`);
      call.httpStatus = error.httpStatus;
      call.error = { code: error.code, message: error.message, reason: error.reason };
      responseBody = errorBody(error.code, error.message, call.requestId);
    }
    await this.delay();
    res.writeHead(call.httpStatus, {
      'content-type': 'text/xml;charset=UTF-8',
      'content-length': Buffer.byteLength(responseBody),
      'x-amzn-requestid': call.requestId,
      date: new Date().toUTCString(),
      ...(throttled && this.faults.throttleRetryAfterSeconds !== null && { 'retry-after': String(this.faults.throttleRetryAfterSeconds) }),
    });
    res.end(responseBody);
  }

  /**
   * The checks EC2 makes before an action runs: the Query version, a SigV4 signature by a known key (with its
   * session token, for temporary keys), a region this account can use, and the key's permission for the action.
   */
  private authenticate(req: IncomingMessage, body: Buffer, params: QueryParams, claims: ReturnType<typeof parseAuthorization>): RegionState {
    const action = params.get('Action');
    if (!action) throw clientError('MissingAction', 'The request must contain the parameter Action');
    const version = params.get('Version');
    if (version !== EC2_API_VERSION) throw clientError('NoSuchVersion', `The requested version (${version ?? 'none'}) of service AmazonEC2 does not exist`);
    // An unsigned request: EC2 still words it as the old query-signing parameter.
    if (!claims) throw missingParameter('AWSAccessKeyId');
    const key = this.keys.get(claims.accessKeyId) ?? this.options.lookupAccessKey?.(claims.accessKeyId);
    if (!key) throw authFailure(`unknown access key ${claims.accessKeyId}`);
    if (claims.service !== 'ec2') throw authFailure(`the credential scope names service ${claims.service}, not ec2`);
    const problem = signatureProblem({ method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body }, claims, key.secretAccessKey);
    if (problem) {
      throw new Ec2Error(
        'SignatureDoesNotMatch',
        403,
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        problem,
      );
    }
    if (key.sessionToken !== undefined && headerOf(req, 'x-amz-security-token') !== key.sessionToken) {
      throw authFailure(`temporary key ${key.accessKeyId} came without its session token`);
    }
    const region = this.account.regions.get(claims.region);
    // EC2 has no endpoint in a region the account cannot use; a region not opted into refuses the credentials.
    if (!region || region.notOptedIn) throw authFailure(`region ${claims.region} is ${region ? 'not enabled for this account' : 'unknown'}`);
    if (key.deniedActions?.includes(action)) throw unauthorizedOperation(this.account.options.accountId, key.accessKeyId, action, region.name);
    return region;
  }

  private async delay(): Promise<void> {
    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}
