import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { ConflictError, InvalidInputError, NotFoundError } from '../../core/errors.js';
import { boundedMap } from '../../runtime/bounded-map.js';
import { usdToMicros } from '../../core/money.js';
import type { Image, Offer, Region } from '../../core/offer.js';
import {
  ProviderError,
  TESSERA_ID_LABEL,
  TESSERA_TOKEN_LABEL,
  type CreateRequest,
  type Driver,
  type DriverContext,
  type ErrorClass,
  type InstanceRef,
  type ListOptions,
  type ObservedInstance,
  type ObservedState,
  type PowerAction,
  type SecretBox,
} from '../driver.js';
import type { Bmc, BmcCredentials, BmcPowerState } from './bmc.js';
import { parseBaremetalConfig, type BaremetalConfig, type FlavorRequirements } from './config.js';
import { connectBmc } from './connect-bmc.js';
import { bestFitOrder, describeFlavor, satisfies } from './flavors.js';
import { runHook, type HookCall } from './hooks.js';
import { EnrollMachine, externalIdOf, machineState, parseExternalId, type Allocation, type EnrollMachineInput, type PoolMachine } from './machine.js';
import { toMachineView, type MachineInspection, type MachineView } from './machine-view.js';
import { MachinePool } from './pool.js';

/**
 * The `baremetal` driver: a pool of enrolled physical machines behind the driver contract. Create allocates a
 * free machine that meets the flavor, sets its next boot device, hands the provisioning hook the user-data and
 * powers it on; delete powers it off, runs the wipe hook and gives it back to the pool. Power goes through each
 * machine's BMC (IPMI or Redfish). The pool is the driver's own SQLite file (pool.ts).
 *
 * Decisions worth knowing:
 * - An instance is an *allocation*, not a machine: its external id is `<machine>@<allocation id>`, so a machine
 *   handed to the next instance is never mistaken for the previous one.
 * - A create either finishes (boot device, hook, power) or gives the machine back and says why (`lastFailure`).
 *   An allocation left unfinished by a process that died is taken over by the next create with the same token,
 *   or released once it is older than the longest a create can take.
 * - A BMC that does not answer marks its machine `unreachable` (since when, last error) — kept in the pool,
 *   never picked for a create — and the call fails Retryable: the instance shows a ProviderError condition
 *   rather than a guessed power state. `list()` is the exception: it reports the last known state, so one dead
 *   BMC does not fail the inventory of the whole pool.
 * - `list()` shows allocated machines only. A pool machine that is on but unallocated is the pool's (being
 *   wiped, or left on by a person): offering it for adoption would let the next create hand it out a second time.
 */

export const DEFAULT_LIST_PAGE_SIZE = 100;

/** What `createBaremetalDriver` needs besides the config; `now` lets tests step time. */
export interface BaremetalDriverContext extends Pick<DriverContext, 'dataDir' | 'secrets'> {
  now?: () => number;
}

/** Builds a baremetal driver from its tessera.yaml block; the pool defaults to `<dataDir>/baremetal/<name>.db`. */
export async function createBaremetalDriver(name: string, config: unknown, ctx: BaremetalDriverContext): Promise<BaremetalDriver> {
  const parsed = parseBaremetalConfig(name, config);
  if (!ctx.secrets) {
    throw new InvalidInputError(`baremetal provider '${name}' needs the server's secret key to seal BMC logins, and none was given: build it through the control plane (or pass DriverContext.secrets)`);
  }
  const poolFile = parsed.poolFile ? resolve(ctx.dataDir, parsed.poolFile) : join(ctx.dataDir, 'baremetal', `${name}.db`);
  return new BaremetalDriver(name, parsed, MachinePool.open(poolFile), ctx.secrets, ctx.now ?? Date.now);
}

const STATE_OF_POWER: Record<BmcPowerState, ObservedState> = { on: 'running', off: 'stopped', 'powering-on': 'pending', 'powering-off': 'stopping' };

/** BMC error codes that mean "it did not answer" (as opposed to "it answered no"). */
const NO_ANSWER = new Set(['BmcUnreachable', 'BmcTimeout']);

export class BaremetalDriver implements Driver {
  readonly type = 'baremetal';
  readonly simulated = false;
  /** Creates running in this process, by token: a repeated create joins the one in flight. */
  private readonly inflight = new Map<string, Promise<ObservedInstance>>();

  constructor(
    readonly name: string,
    private readonly config: BaremetalConfig,
    private readonly pool: MachinePool,
    private readonly secrets: SecretBox,
    private readonly now: () => number,
  ) {}

  // ---- The driver contract ----

  async offers(): Promise<Offer[]> {
    const free = this.pool.all().filter((m) => machineState(m) === 'available');
    return Object.entries(this.config.flavors).map(([flavor, f]) => ({
      provider: this.name,
      region: this.config.region,
      zone: null,
      flavor,
      vcpus: f.cpus,
      memoryGiB: f.memoryGiB,
      gpus: f.gpus,
      arch: f.arch,
      kind: 'baremetal',
      market: 'on-demand',
      priceMicrosPerHour: usdToMicros(String(f.priceUsdPerHour)),
      // Machines may satisfy several flavors, so these counts overlap: each is "how many could I get of this one".
      available: free.filter((m) => satisfies(m.facts, f)).length,
    }));
  }

  async regions(): Promise<Region[]> {
    const racks = [...new Set(this.pool.all().map((m) => m.rack))].sort();
    return [{ provider: this.name, name: this.config.region, zones: racks, location: this.config.location }];
  }

  async images(): Promise<Image[]> {
    const arches = [...new Set(Object.values(this.config.flavors).map((f) => f.arch))];
    return this.config.images.flatMap((image) => arches.map((arch) => ({ provider: this.name, name: image, os: image.split('-')[0]!, arch })));
  }

  async observe(ref: InstanceRef): Promise<ObservedInstance | null> {
    const found = this.find(ref);
    if (!found) return null;
    const { machine, allocation } = found;
    if (allocation.provisionedAt === null) {
      if (this.reapIfAbandoned(machine, allocation)) return null;
      // Asked by token, an unfinished create has made nothing yet: the caller creates again, which joins or
      // finishes it (observe-before-create). Asked by id, it is a machine on its way.
      if (!ref.externalId) return null;
      return this.view(machine, allocation, null);
    }
    return this.view(machine, allocation, await this.withBmc(machine, (bmc) => bmc.powerState()));
  }

  create(req: CreateRequest, token: string): Promise<ObservedInstance> {
    if (token === '') return Promise.reject(this.error('Invalid', 'MissingParameter', 'a create needs a non-empty idempotency token'));
    const running = this.inflight.get(token);
    if (running) return running;
    const attempt = this.createOnce(req, token).finally(() => this.inflight.delete(token));
    this.inflight.set(token, attempt);
    return attempt;
  }

  async delete(ref: InstanceRef): Promise<void> {
    let found = this.find(ref);
    if (!found) return;
    const pending = this.inflight.get(found.allocation.token);
    if (pending) {
      // Let the create finish (or give the machine back) first, then release whatever it left.
      await pending.catch(() => undefined);
      found = this.find(ref);
      if (!found) return;
    }
    const { machine, allocation } = found;
    const step = { name: 'power off' };
    try {
      await this.withBmc(machine, async (bmc) => {
        if ((await bmc.powerState()) !== 'off') await bmc.power('off');
        return 'off' as const;
      });
      if (this.config.wipe) {
        step.name = 'wipe hook';
        await runHook(this.config.wipe, this.hookCall('wipe', machine, allocation, null));
      }
    } catch (e) {
      // The machine stays allocated: handing it on still running, or with the last tenant's disks, is not safe.
      this.recordFailure(machine, allocation, `delete: ${step.name}`, e);
      throw e;
    }
    this.pool.release(machine.name, allocation.id);
  }

  async power(ref: InstanceRef, action: PowerAction): Promise<void> {
    const found = this.find(ref);
    if (!found) throw this.error('NotFound', 'MachineNotFound', `baremetal provider '${this.name}' has no allocation ${describeRef(ref)}`);
    const { machine, allocation } = found;
    if (allocation.provisionedAt === null) {
      throw this.error('Retryable', 'ProvisioningInProgress', `machine ${machine.name} is still being provisioned; power it once the create has finished`);
    }
    await this.withBmc(machine, async (bmc) => {
      if (action === 'reboot') {
        if ((await bmc.powerState()) === 'off') {
          throw this.error('Invalid', 'IncorrectInstanceState', `machine ${machine.name} is off; power it on instead of rebooting`);
        }
        await bmc.power('cycle');
        return null;
      }
      await bmc.power(action);
      return action;
    });
  }

  async *list(opts: ListOptions = {}): AsyncGenerator<ObservedInstance[]> {
    const pageSize = opts.pageSize ?? DEFAULT_LIST_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1) throw this.error('Invalid', 'InvalidParameterValue', `pageSize must be a positive integer, got ${pageSize}`);
    const allocated: { machine: PoolMachine; allocation: Allocation }[] = [];
    for (const machine of this.pool.all()) {
      const a = machine.allocation;
      if (!a || (a.provisionedAt === null && this.reapIfAbandoned(machine, a))) continue;
      if (a.provisionedAt !== null) allocated.push({ machine, allocation: a });
    }
    for (let i = 0; i < allocated.length; i += pageSize) {
      opts.signal?.throwIfAborted();
      const page = allocated.slice(i, i + pageSize);
      yield await boundedMap(page, this.config.listConcurrency, async ({ machine, allocation }) => {
        try {
          return this.view(machine, allocation, await this.withBmc(machine, (bmc) => bmc.powerState()));
        } catch (e) {
          if (!(e instanceof ProviderError)) throw e;
          // Marked unreachable by withBmc; listed as last seen so the inventory does not lose it.
          return this.view(machine, allocation, machine.lastPower?.state ?? 'on');
        }
      });
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()]);
    this.pool.close();
  }

  // ---- The pool: enrollment and inspection (the /v1/baremetal API) ----

  /**
   * Adds a machine to the pool. Its BMC is asked for its power state first: a BMC that refuses the login (or
   * presents another certificate) is not enrolled; one that does not answer is enrolled, marked unreachable.
   */
  async enroll(input: EnrollMachineInput): Promise<MachineView> {
    const parsed = EnrollMachine.safeParse(input);
    if (!parsed.success) {
      throw new InvalidInputError(`the machine cannot be enrolled: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const { name, rack, facts, bmc: given } = parsed.data;
    const bmc = {
      protocol: given.protocol,
      endpoint: given.endpoint.replace(/\/+$/, ''),
      systemId: given.protocol === 'redfish' ? (given.systemId ?? null) : null,
      caPem: given.protocol === 'redfish' ? (given.caPem ?? null) : null,
    };
    this.refuseDuplicate(name, bmc);
    const credentials: BmcCredentials = { username: given.username, password: given.password };
    const at = this.nowIso();
    let reachability: Pick<PoolMachine, 'unreachable' | 'lastPower'>;
    const client = connectBmc(bmc, credentials, this.config, { provider: this.name, machine: name });
    try {
      reachability = { unreachable: null, lastPower: { state: await client.powerState(), at } };
    } catch (e) {
      if (!(e instanceof ProviderError) || !NO_ANSWER.has(e.providerCode ?? '')) throw e;
      reachability = { unreachable: { since: at, lastError: e.message }, lastPower: null };
    } finally {
      await client.close?.();
    }
    const machine: PoolMachine = {
      name,
      rack,
      facts,
      bmc,
      sealedCredentials: this.secrets.seal({ username: credentials.username, password: credentials.password }),
      enrolledAt: at,
      allocation: null,
      lastFailure: null,
      ...reachability,
    };
    this.pool.exclusive(() => {
      this.refuseDuplicate(name, bmc);
      this.pool.insert(machine);
    });
    return toMachineView(this.name, machine, this.config);
  }

  machines(): MachineView[] {
    return this.pool.all().map((m) => toMachineView(this.name, m, this.config));
  }

  /** The machine as the pool has it, plus its power state asked of the BMC now (which also updates reachability). */
  async inspect(name: string): Promise<MachineInspection> {
    const machine = this.machineNamed(name);
    let powerState: BmcPowerState | null = null;
    let error: string | null = null;
    try {
      powerState = await this.withBmc(machine, (bmc) => bmc.powerState());
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      error = e.message;
    }
    const checkedAt = this.nowIso();
    return { ...toMachineView(this.name, this.pool.get(name) ?? machine, this.config), live: { checkedAt, powerState, error } };
  }

  /** Takes a machine out of the pool for good (decommissioned, sent for repair). An allocated one cannot go. */
  retire(name: string): MachineView {
    return this.pool.exclusive(() => {
      const machine = this.machineNamed(name);
      if (machine.allocation) {
        throw new ConflictError(
          `machine ${name} is allocated to instance ${machine.allocation.tesseraId} (${machine.allocation.instanceName}): delete that instance first, then retire the machine`,
        );
      }
      this.pool.remove(name);
      return toMachineView(this.name, machine, this.config);
    });
  }

  // ---- Create ----

  private async createOnce(req: CreateRequest, token: string): Promise<ObservedInstance> {
    const flavor = this.validate(req);
    const claim = this.pool.exclusive(() => this.claim(req, token, flavor));
    if (claim.kind === 'provisioned') return this.view(claim.machine, claim.allocation, await this.withBmc(claim.machine, (bmc) => bmc.powerState()));
    return this.provision(claim.machine, claim.allocation, req);
  }

  /** Inside the pool's write lock: the allocation this token already has, or a new one on the best free machine. */
  private claim(
    req: CreateRequest,
    token: string,
    flavor: FlavorRequirements,
  ): { kind: 'provisioned' | 'provision'; machine: PoolMachine; allocation: Allocation } {
    const now = this.nowIso();
    const existing = this.pool.byToken(token);
    if (existing?.allocation) {
      const a = existing.allocation;
      if (a.provisionedAt !== null) return { kind: 'provisioned', machine: existing, allocation: a };
      // (A create for this token in this process would have been joined before getting here.)
      if (!this.isStale(a)) {
        throw this.error('Retryable', 'ProvisioningInProgress', `machine ${existing.name} is being provisioned for this create by another Tessera process; retry once it has finished`);
      }
      // Its process stopped before finishing: this create takes the allocation over and finishes it, under a new
      // allocation id, so that the old create, should it wake up, finds the machine is no longer its own.
      const taken = { ...a, id: newAllocationId(), provisionStartedAt: now };
      this.pool.setAllocation(existing.name, taken);
      return { kind: 'provision', machine: existing, allocation: taken };
    }
    const machines = this.pool.all();
    for (const m of machines) if (m.allocation && m.allocation.provisionedAt === null) this.reapIfAbandoned(m, m.allocation);
    const allocated = machines.filter((m) => m.allocation).length;
    if (this.config.maxAllocated !== null && allocated >= this.config.maxAllocated) {
      throw this.error(
        'Quota',
        'MaxAllocatedReached',
        `baremetal provider '${this.name}' has ${allocated} machine(s) allocated and its maxAllocated is ${this.config.maxAllocated}: delete an instance, or raise maxAllocated in its configuration`,
      );
    }
    const fitting = machines.filter((m) => satisfies(m.facts, flavor) && (req.zone === null || m.rack === req.zone));
    const free = fitting
      .filter((m) => machineState(m) === 'available')
      // Machines whose last create failed go last: a broken one should not take every retry.
      .sort((a, b) => Number(a.lastFailure !== null) - Number(b.lastFailure !== null) || bestFitOrder(a, b));
    const chosen = free[0];
    if (!chosen) {
      const busy = fitting.filter((m) => machineState(m) === 'allocated').length;
      const unreachable = fitting.filter((m) => machineState(m) === 'unreachable').length;
      throw this.error(
        'Capacity',
        'NoFreeMachine',
        `no free machine of baremetal provider '${this.name}'${req.zone ? ` in rack ${req.zone}` : ''} satisfies ${describeFlavor(req.flavor, flavor)}: ` +
          `${fitting.length} would (${busy} allocated, ${unreachable} unreachable); delete an instance, enroll more machines or bring their BMCs back`,
      );
    }
    const allocation: Allocation = {
      id: newAllocationId(),
      token,
      tesseraId: req.tesseraId,
      instanceName: req.name,
      flavor: req.flavor,
      image: req.image,
      labels: { ...req.labels, [TESSERA_ID_LABEL]: req.tesseraId, [TESSERA_TOKEN_LABEL]: token },
      allocatedAt: now,
      provisionStartedAt: now,
      provisionedAt: null,
    };
    this.pool.setAllocation(chosen.name, allocation);
    return { kind: 'provision', machine: chosen, allocation };
  }

  /**
   * Boot device, then the hook, then power. The hook runs before the power goes on so that the install server
   * knows the machine (and has its user-data) by the time it asks over PXE; a failing hook then also leaves
   * nothing running. A machine that is already on is restarted, so it boots from the device just set.
   */
  private async provision(machine: PoolMachine, allocation: Allocation, req: CreateRequest): Promise<ObservedInstance> {
    let step = 'set boot device';
    try {
      await this.withBmc(machine, async (bmc) => {
        await bmc.setNextBoot(this.config.bootDevice);
        return null;
      });
      if (this.config.provisioning) {
        step = 'provisioning hook';
        await runHook(this.config.provisioning, this.hookCall('provision', machine, allocation, req.userData));
      }
      if (req.powerOn) {
        step = 'power on';
        this.refuseIfTakenOver(machine, allocation);
        await this.withBmc(machine, async (bmc) => {
          await bmc.power((await bmc.powerState()) === 'off' ? 'on' : 'cycle');
          return 'on';
        });
      }
    } catch (e) {
      if (e instanceof ProviderError && e.providerCode === 'AllocationLost') throw e;
      // Nothing half-made is left behind: the machine goes back to the pool (an unreachable one stays marked,
      // so it is not picked again), and its record says what failed; the next attempt starts afresh.
      this.recordFailure(machine, allocation, `create: ${step}`, e);
      this.pool.release(machine.name, allocation.id);
      throw e;
    }
    const provisionedAt = this.nowIso();
    const done = { ...allocation, provisionedAt };
    if (!this.pool.updateAllocation(machine.name, allocation.id, () => done)) {
      throw this.error('Retryable', 'AllocationLost', `machine ${machine.name} was released while it was being provisioned (a delete raced the create); create again`);
    }
    return this.view(machine, done, req.powerOn ? 'on' : null);
  }

  /** A create that slept past its budget must not power a machine another create has since taken over. */
  private refuseIfTakenOver(machine: PoolMachine, allocation: Allocation): void {
    if (this.pool.get(machine.name)?.allocation?.id !== allocation.id) {
      throw this.error('Retryable', 'AllocationLost', `machine ${machine.name} is no longer allocated to this create (it took too long and was taken over or released); create again`);
    }
  }

  private validate(req: CreateRequest): FlavorRequirements {
    const invalid = (message: string) => this.error('Invalid', 'InvalidParameterValue', message);
    if (req.region !== this.config.region) throw invalid(`region '${req.region}' does not exist in baremetal provider '${this.name}'; its region is '${this.config.region}'`);
    const flavor = this.config.flavors[req.flavor];
    if (!flavor) throw invalid(`flavor '${req.flavor}' does not exist in baremetal provider '${this.name}'; valid flavors: ${Object.keys(this.config.flavors).sort().join(', ')}`);
    if (!this.config.images.includes(req.image)) throw invalid(`image '${req.image}' is not one baremetal provider '${this.name}' installs; valid images: ${this.config.images.join(', ')}`);
    if (req.market !== 'on-demand') throw invalid(`baremetal provider '${this.name}' has no ${req.market} market; use market 'on-demand'`);
    if (req.zone !== null && !this.pool.all().some((m) => m.rack === req.zone)) {
      const racks = [...new Set(this.pool.all().map((m) => m.rack))].sort();
      throw invalid(`zone '${req.zone}' is not a rack of baremetal provider '${this.name}'; its racks: ${racks.join(', ') || '(none enrolled)'}`);
    }
    return flavor;
  }

  // ---- Internals ----

  /** Opens the machine's login, runs `fn` against its BMC, and records whether the BMC answered. */
  private async withBmc<T extends BmcPowerState | null>(machine: PoolMachine, fn: (bmc: Bmc) => Promise<T>): Promise<T> {
    let credentials: Record<string, string>;
    try {
      credentials = this.secrets.open(machine.sealedCredentials);
    } catch (e) {
      throw this.error('Invalid', 'SealedLoginUnreadable', `machine ${machine.name}: its BMC login cannot be opened (${(e as Error).message})`);
    }
    const bmc = connectBmc(machine.bmc, { username: credentials.username ?? '', password: credentials.password ?? '' }, this.config, { provider: this.name, machine: machine.name });
    try {
      const power = await fn(bmc);
      this.pool.markReachable(machine.name, power, this.nowIso());
      return power;
    } catch (e) {
      // Any other answer, a refusal included, shows the BMC is there.
      if (e instanceof ProviderError && NO_ANSWER.has(e.providerCode ?? '')) this.pool.markUnreachable(machine.name, e.message, this.nowIso());
      else if (e instanceof ProviderError) this.pool.markReachable(machine.name, null, this.nowIso());
      throw e;
    } finally {
      await bmc.close?.();
    }
  }

  /** The allocation a ref names: by external id (machine and allocation must both match), else by token. */
  private find(ref: InstanceRef): { machine: PoolMachine; allocation: Allocation } | null {
    let machine: PoolMachine | null;
    if (ref.externalId) {
      const id = parseExternalId(ref.externalId);
      machine = id ? this.pool.get(id.machine) : null;
      if (!machine?.allocation || machine.allocation.id !== id?.allocationId) return null;
    } else if (ref.token) {
      machine = this.pool.byToken(ref.token);
    } else {
      throw this.error('Invalid', 'MissingParameter', 'a machine reference needs an externalId or a token');
    }
    return machine?.allocation ? { machine, allocation: machine.allocation } : null;
  }

  /** An unfinished allocation no create of this process is working on, and too old for one elsewhere to be. */
  private isAbandoned(a: Allocation): boolean {
    return !this.inflight.has(a.token) && this.isStale(a);
  }

  /** No create can still be working on an allocation this old: hook timeout plus the BMC calls, with a margin. */
  private isStale(a: Allocation): boolean {
    const ipmiCall = (this.config.ipmi.timeoutSeconds * (this.config.ipmi.retries + 1) * (this.config.ipmi.retries + 2)) / 2 + 5;
    const bmcCall = Math.max(ipmiCall, this.config.redfish.timeoutSeconds * 3);
    const budgetSeconds = (this.config.provisioning?.timeoutSeconds ?? 0) + 5 * bmcCall + 60;
    return this.now() - Date.parse(a.provisionStartedAt) > budgetSeconds * 1000;
  }

  /** Releases an allocation whose create was abandoned (its process ended); true if it did. */
  private reapIfAbandoned(machine: PoolMachine, a: Allocation): boolean {
    if (!this.isAbandoned(a)) return false;
    if (!this.pool.release(machine.name, a.id)) return false;
    this.pool.recordFailure(machine.name, {
      at: this.nowIso(),
      step: 'create: abandoned',
      message: `the create for instance ${a.tesseraId} started at ${a.provisionStartedAt} and never finished (its process stopped?); the machine went back to the pool`,
      tesseraId: a.tesseraId,
    });
    return true;
  }

  private recordFailure(machine: PoolMachine, allocation: Allocation, step: string, e: unknown): void {
    this.pool.recordFailure(machine.name, { at: this.nowIso(), step, message: e instanceof Error ? e.message : String(e), tesseraId: allocation.tesseraId });
  }

  private hookCall(event: HookCall['event'], machine: PoolMachine, a: Allocation, userData: string | null): HookCall {
    return {
      event,
      provider: this.name,
      machine: { name: machine.name, rack: machine.rack, facts: machine.facts },
      instance: { id: a.tesseraId, name: a.instanceName, image: a.image, flavor: a.flavor, labels: a.labels },
      userData,
      bootDevice: this.config.bootDevice,
    };
  }

  /** `power` null: not asked (provisioning not finished, or powered on just now and not read back). */
  private view(machine: PoolMachine, a: Allocation, power: BmcPowerState | null): ObservedInstance {
    const state: ObservedState = a.provisionedAt === null ? 'pending' : STATE_OF_POWER[power ?? 'on'];
    return {
      externalId: externalIdOf(machine.name, a.id),
      token: a.token,
      tesseraId: a.tesseraId,
      name: a.instanceName,
      region: this.config.region,
      zone: machine.rack,
      flavor: a.flavor,
      image: a.image,
      market: 'on-demand',
      kind: 'baremetal',
      state,
      addresses: machine.facts.nics.flatMap((n) => (n.address ? [{ type: 'private' as const, address: n.address }] : [])),
      labels: a.labels,
      createdAt: a.allocatedAt,
    };
  }

  private refuseDuplicate(name: string, bmc: PoolMachine['bmc']): void {
    if (this.pool.get(name)) throw new ConflictError(`a machine named ${name} is already enrolled in ${this.name}: pick another name, or retire it first`);
    const same = this.pool.byBmc(bmc);
    if (same) throw new ConflictError(`the BMC ${bmc.endpoint}${bmc.systemId ? ` (system ${bmc.systemId})` : ''} is already enrolled as machine ${same.name}: one BMC drives one machine`);
  }

  private machineNamed(name: string): PoolMachine {
    const machine = this.pool.get(name);
    if (!machine) throw new NotFoundError(`baremetal provider '${this.name}' has no machine ${name}: see tessera baremetal list --provider ${this.name}`);
    return machine;
  }

  private nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  private error(errorClass: ErrorClass, code: string, message: string): ProviderError {
    return new ProviderError(errorClass, message, this.name, code);
  }
}

function newAllocationId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return [...randomBytes(10)].map((b) => alphabet[b % alphabet.length]).join('');
}

function describeRef(ref: InstanceRef): string {
  return ref.externalId ? ref.externalId : `with token ${ref.token ?? '(none)'}`;
}
