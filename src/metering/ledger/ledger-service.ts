import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import { Ledger, type LedgerLine, type LedgerQuery } from './ledger.js';
import { LedgerBuilder } from './ledger-builder.js';

const LEASE = 'metering/ledger';
const LEASE_MS = 30_000;
/** The ledger follows the event log within about this long (sooner after a burst of events). */
const INTERVAL_MS = 5_000;
const AFTER_EVENTS_MS = 500;

/**
 * The usage ledger of one Tessera: built from the event log in the background by one process at a time (a lease
 * in the store), read by reports and exports. A reader first brings it up to date, so an answer never misses
 * an event that was already committed.
 */
export class LedgerService {
  private readonly builder: LedgerBuilder;
  private readonly ledger: Ledger;
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly onEvents = () => {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.tick();
    }, AFTER_EVENTS_MS);
    this.soon.unref();
  };

  constructor(
    private readonly store: Store,
    priceKeyOf: (provider: string) => string,
    private readonly holder: string,
    private readonly logger: Logger,
  ) {
    this.builder = new LedgerBuilder(store, priceKeyOf);
    this.ledger = new Ledger(store);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), INTERVAL_MS);
    this.timer.unref();
    this.store.notifier.on('events', this.onEvents);
    void this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.store.notifier.off('events', this.onEvents);
    await this.running?.catch(() => undefined);
  }

  /** Reads every committed event into the ledger (here, whoever holds the lease). */
  async catchUp(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
    const run = this.builder.catchUp();
    this.running = run;
    try {
      await run;
    } finally {
      this.running = null;
    }
  }

  /** Priced lines of a period, after catching up with the log. */
  async *lines(q: LedgerQuery): AsyncGenerator<LedgerLine[]> {
    await this.catchUp();
    yield* this.ledger.lines(q);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    try {
      if (!(await this.store.tryLease(LEASE, this.holder, LEASE_MS))) return;
      await this.catchUp();
    } catch (e) {
      this.logger.warn({ err: { message: (e as Error).message } }, 'usage ledger update failed; will retry');
    }
  }
}
