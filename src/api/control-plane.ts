import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Discovery } from '../compute/discovery.js';
import { InstanceController } from '../compute/instance-controller.js';
import { InstanceService } from '../compute/instance-service.js';
import { OfferCatalog } from '../compute/offer-catalog.js';
import { INSTANCE_KIND, instanceUsageFacts, type Instance } from '../core/instance.js';
import { IdentityService, type BootstrapOutcome } from '../identity/identity-service.js';
import { ProjectService } from '../identity/projects.js';
import { seedPriceCatalog } from '../metering/catalog/bundled-catalog.js';
import { PriceCatalog } from '../metering/catalog/price-catalog.js';
import { LedgerService } from '../metering/ledger/ledger-service.js';
import { BudgetService } from '../metering/budgets/budget-service.js';
import { BudgetWatcher } from '../metering/budgets/budget-watcher.js';
import { billedAtOwnPrices, priceKeysOf } from '../metering/price-key.js';
import { syncOfferPrices } from '../metering/catalog/offer-prices.js';
import { parseCostModels } from '../metering/cost-model/cost-model-config.js';
import { CostModels } from '../metering/cost-model/cost-model-service.js';
import { OtlpMetering } from '../metering/otlp/otlp-metering.js';
import { ProviderRegistry, type ProviderConfig } from '../providers/registry.js';
import { ControllerRunner } from '../runtime/controller-runner.js';
import type { FederationSettings } from '../runtime/config.js';
import { createMetrics, type Metrics } from '../runtime/metrics.js';
import { decryptSecret, encryptSecret, loadSecretKey, type SecretKey } from '../runtime/secrets.js';
import { Store } from '../store/store.js';
import { textSealer } from '../runtime/sealed-text.js';
import { DEPLOYMENT_KIND, DEPLOYMENT_LABEL, DeploymentPhase } from '../deploy/deployment.js';
import { CLUSTER_KIND, CLUSTER_LABEL, ClusterPhase } from '../deploy/cluster/cluster.js';
import type { ClusterService } from '../deploy/cluster/cluster-service.js';
import type { DeploymentService } from '../deploy/deployment-service.js';
import { openDeployPlane, type DeployPlane } from './deploy-plane.js';
import { OwnerWakeup } from '../deploy/owner-wakeup.js';
import { placementSources } from './placement-sources.js';

/** A client retrying with the same Idempotency-Key within a day gets the first answer back. */
const IDEMPOTENCY_RETENTION_MS = 24 * 3600 * 1000;

export interface ControlPlaneOptions {
  dataDir: string;
  databaseUrl?: string | null;
  /** PostgreSQL schema (tests give each run its own). */
  databaseSchema?: string;
  providers: ProviderConfig[];
  logger: Logger;
  controller?: { concurrency?: number; leaseSeconds?: number; pollMs?: number; resyncSeconds?: number };
  discovery?: { intervalSeconds: number; pageSize: number } | null;
  env?: NodeJS.ProcessEnv;
  /** /metrics without authentication, for a Prometheus scraper (default true). */
  metricsPublic?: boolean;
  /** Where people and identity providers reach this server (config `publicUrl`); see src/api/public-url.ts. */
  publicUrl?: string;
  /** Clouds people may sign in to through Tessera (config `federation`); none when absent. */
  federation?: FederationSettings;
}

/**
 * The composition root: one store, the configured providers, the services, and the controllers that run in
 * this process. Several processes may run against one PostgreSQL; they share work through the store's leases.
 */
export class ControlPlane {
  private discoveryTimer: NodeJS.Timeout | null = null;
  private discoveryKickoff: NodeJS.Timeout | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private discoveryRun: Promise<unknown> | null = null;
  /** Owners woken by their children's events: deployments by their replicas, clusters by their node groups. */
  private readonly ownerWakeups: OwnerWakeup[];
  /** Projects' budgets against their month-to-date cost (metering); runs with the other background work. */
  private budgetWatcher: BudgetWatcher | null = null;

  private constructor(
    readonly store: Store,
    readonly providers: ProviderRegistry,
    readonly catalog: OfferCatalog,
    readonly prices: PriceCatalog,
    /** The usage ledger (metering): priced usage of every instance, built from the event log. */
    readonly ledger: LedgerService,
    /** Private providers' cost models (metering), applied to the price catalog at start. */
    readonly costModels: CostModels,
    /** Metrics received over OTLP (metering): attributed to instances, rolled up per hour, written behind. */
    readonly otlp: OtlpMetering,
    readonly instances: InstanceService,
    readonly projects: ProjectService,
    readonly identity: IdentityService,
    /** What the first start did about the organisation admin (the server prints a new token once). */
    readonly bootstrap: BootstrapOutcome,
    readonly discovery: Discovery,
    readonly runner: ControllerRunner,
    /** The deploy plane: deployments and clusters, and their controllers (beside the instance controller). */
    private readonly deploy: DeployPlane,
    readonly metrics: Metrics,
    readonly logger: Logger,
    private readonly opts: ControlPlaneOptions,
    private readonly secretKey: SecretKey,
  ) {
    this.ownerWakeups = [
      new OwnerWakeup(store, { childKind: INSTANCE_KIND, ownerLabel: DEPLOYMENT_LABEL, ownerKind: DEPLOYMENT_KIND }),
      new OwnerWakeup(store, { childKind: DEPLOYMENT_KIND, ownerLabel: CLUSTER_LABEL, ownerKind: CLUSTER_KIND }),
    ];
  }

  static async open(opts: ControlPlaneOptions): Promise<ControlPlane> {
    // Before anything is opened or written: a mistake in a cost model stops the start with every problem listed.
    const costModelInputs = parseCostModels(opts.providers);
    mkdirSync(opts.dataDir, { recursive: true });
    const store = await Store.open({
      databaseUrl: opts.databaseUrl ?? null,
      schema: opts.databaseSchema,
      sqliteFile: join(opts.dataDir, 'tessera.db'),
    });
    // Every Instance event carries what the instance was then: the usage ledger is built from them.
    store.recordEventFacts(INSTANCE_KIND, (r) => instanceUsageFacts(r as Instance));
    // A deployment's events carry its labels, so its cluster (tessera.io/cluster) is woken without a read.
    store.recordEventFacts(DEPLOYMENT_KIND, (r) => ({ labels: r.labels }));
    let providers: ProviderRegistry | undefined;
    try {
      const metrics = createMetrics();
      const key = loadSecretKey({ dataDir: opts.dataDir, env: opts.env ?? process.env });
      const prices = new PriceCatalog(store);
      await seedPriceCatalog(prices, opts.logger);
      providers = await ProviderRegistry.build(
        opts.providers,
        async (p) => {
          const sealed = await store.getCredentials(p.name);
          return {
            dataDir: opts.dataDir,
            credentials: sealed ? (decryptSecret(key, sealed) as Record<string, string>) : null,
            secrets: { seal: (plaintext) => encryptSecret(key, plaintext), open: (text) => decryptSecret(key, text) as Record<string, string> },
            listPrices: (cloud) => prices.listPrices(cloud),
          };
        },
        metrics,
      );
      const catalog = new OfferCatalog(providers);
      await syncOfferPrices(prices, catalog, billedAtOwnPrices(opts.providers), opts.logger);
      const costModels = new CostModels({ store, prices, offers: (p) => catalog.forProvider(p), models: costModelInputs, providers: opts.providers, logger: opts.logger });
      await costModels.applyAll();
      const projects = new ProjectService(store);
      await projects.ensureDefault();
      const identity = new IdentityService(store, key);
      const bootstrap = await identity.bootstrap((opts.env ?? process.env).TESSERA_BOOTSTRAP_TOKEN || undefined);
      const instances = new InstanceService(store, providers, catalog);
      const sealer = textSealer(key);
      const controller = new InstanceController(store, providers, { pollMs: opts.controller?.pollMs, catalog, openUserData: sealer.open });
      const runner = new ControllerRunner({
        store,
        reconciler: controller,
        logger: opts.logger,
        metrics,
        concurrency: opts.controller?.concurrency,
        leaseMs: (opts.controller?.leaseSeconds ?? 30) * 1000,
      });
      const ledger = new LedgerService(store, priceKeysOf(opts.providers), runner.holder, opts.logger);
      const discovery = new Discovery(store, providers, { pageSize: opts.discovery?.pageSize ?? 1000, project: 'default' });
      const otlp = new OtlpMetering(store, metrics, opts.logger);
      otlp.start();
      const deploy = openDeployPlane({
        store,
        instances,
        sources: placementSources({ store, catalog, ledger, otlp, providers: opts.providers }),
        sealer,
        logger: opts.logger,
        metrics,
        holder: runner.holder,
        controller: opts.controller,
      });
      return new ControlPlane(store, providers, catalog, prices, ledger, costModels, otlp, instances, projects, identity, bootstrap, discovery, runner, deploy, metrics, opts.logger, opts, key);
    } catch (e) {
      // Whatever was opened before the failure is closed again: drivers hold sockets and state files.
      await providers?.close().catch(() => undefined);
      await store.close();
      throw e;
    }
  }

  get deployments(): DeploymentService {
    return this.deploy.deployments;
  }

  get clusters(): ClusterService {
    return this.deploy.clusters;
  }

  get publicUrl(): string | undefined {
    return this.opts.publicUrl;
  }

  get federation(): FederationSettings {
    return this.opts.federation ?? { aws: { accounts: [] } };
  }

  get metricsPublic(): boolean {
    return this.opts.metricsPublic ?? true;
  }

  /**
   * Stores a provider's credentials, encrypted (AES-256-GCM) — they are never returned or logged. Drivers read
   * them when they are built, so they take effect at the next start of each Tessera process.
   */
  async setCredentials(provider: string, credentials: Record<string, string>): Promise<void> {
    await this.store.putCredentials(provider, encryptSecret(this.secretKey, credentials));
  }

  /** Starts the controllers and the periodic inventory sync in this process. */
  startBackground(): void {
    this.runner.start();
    for (const r of this.deploy.runners) r.start();
    for (const w of this.ownerWakeups) w.start();
    this.ledger.start();
    this.budgetWatcher = new BudgetWatcher(this.store, this.ledger, new BudgetService(this.store, this.ledger), this.runner.holder, this.logger);
    this.budgetWatcher.start();
    const resyncMs = (this.opts.controller?.resyncSeconds ?? 30) * 1000;
    this.resyncTimer = setInterval(() => void this.resync(), resyncMs);
    this.resyncTimer.unref();
    const d = this.opts.discovery;
    if (d && d.intervalSeconds > 0) {
      const tick = () => {
        if (this.discoveryRun) return;
        this.discoveryRun = this.syncInventoryOnce().finally(() => (this.discoveryRun = null));
      };
      this.discoveryTimer = setInterval(tick, d.intervalSeconds * 1000);
      this.discoveryTimer.unref();
      // The first sync soon after start, not a whole interval later (cleared on close like the interval).
      this.discoveryKickoff = setTimeout(tick, 1000);
      this.discoveryKickoff.unref();
    }
  }

  /**
   * Periodic upkeep: instances still on their way somewhere are looked at again whatever happened to their
   * work item (level-triggered safety net), and Idempotency-Key records past their retention are dropped.
   */
  async resync(): Promise<void> {
    try {
      await this.instances.scheduleUnsettled();
      // Deployments and clusters are looked at again too: other processes' changes reach them only this way.
      for (const [kind, phases] of [[DEPLOYMENT_KIND, DeploymentPhase.options], [CLUSTER_KIND, ClusterPhase.options]] as const) {
        await this.store.enqueueMissing(kind, await this.store.idsInPhases(kind, phases.filter((p) => p !== 'Deleted')), Date.now());
      }
      await this.store.pruneIdempotent(new Date(Date.now() - IDEMPOTENCY_RETENTION_MS));
    } catch (e) {
      this.logger.warn({ err: { message: (e as Error).message } }, 'resync failed; will retry');
    }
  }

  /** One inventory sync of every provider, each under a lease so only one process lists a provider at a time. */
  async syncInventoryOnce(): Promise<void> {
    const ttl = Math.max(60_000, (this.opts.discovery?.intervalSeconds ?? 60) * 2000);
    for (const driver of this.providers.all()) {
      const lease = `discovery/${driver.name}`;
      if (!(await this.store.tryLease(lease, this.runner.holder, ttl))) continue;
      try {
        const r = await this.discovery.sync(driver);
        this.logger.info(r, 'inventory sync');
      } catch (e) {
        this.logger.warn({ provider: driver.name, err: { message: (e as Error).message } }, 'inventory sync failed; will retry');
      }
    }
  }

  /** Graceful: stop taking work, finish or hand back what is in flight, then close drivers and the store. */
  async close(): Promise<void> {
    if (this.discoveryTimer) clearInterval(this.discoveryTimer);
    if (this.discoveryKickoff) clearTimeout(this.discoveryKickoff);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    for (const w of this.ownerWakeups) w.stop();
    for (const r of [...this.deploy.runners].reverse()) await r.stop();
    await this.runner.stop();
    await this.budgetWatcher?.stop();
    await this.ledger.stop();
    await this.discoveryRun?.catch(() => undefined);
    // The rollups received and not yet written go to the database before it closes.
    await this.otlp.close();
    await this.providers.close();
    await this.store.close();
  }
}
