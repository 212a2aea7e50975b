import type { Selectable } from 'kysely';
import { ConflictError } from '../../core/errors.js';
import type { CostModelsTable } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { CostModelInputs } from './cost-model-config.js';
import type { CostModelRates, CostModelVersion } from './cost-model-view.js';

/**
 * Every version of every provider's cost model (table cost_models): its inputs and derived rates, and the period
 * it was in force. A version is identified by its content: recording the open version's inputs and rates again
 * changes nothing.
 */
export class CostModelVersions {
  constructor(private readonly store: Store) {}

  /** The version in force for `provider`, or null when it never had a cost model. */
  async current(provider: string): Promise<CostModelVersion | null> {
    const row = await this.store.db.selectFrom('cost_models').selectAll().where('provider', '=', provider).where('valid_to', 'is', null).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** Every version of `provider`'s model, oldest first. */
  async history(provider: string): Promise<CostModelVersion[]> {
    const rows = await this.store.db.selectFrom('cost_models').selectAll().where('provider', '=', provider).orderBy('valid_from').execute();
    return rows.map(fromRow);
  }

  /** Providers that have had a cost model, by name. */
  async providers(): Promise<string[]> {
    const rows = await this.store.db.selectFrom('cost_models').select('provider').distinct().orderBy('provider').execute();
    return rows.map((r) => r.provider);
  }

  /** Whether `inputs` and `rates` are exactly what `version` holds. */
  static same(version: CostModelVersion, inputs: CostModelInputs, rates: CostModelRates): boolean {
    return JSON.stringify(version.inputs) === JSON.stringify(inputs) && JSON.stringify(version.rates) === JSON.stringify(rates);
  }

  /**
   * Opens a version from `validFrom`, closing the one in force there. Nothing happens when the open version holds
   * the same inputs and rates (another process recorded them first). A version opened by another process in the
   * meantime makes this one fail (the unique index on open versions): the caller reads again and retries.
   */
  async record(provider: string, inputs: CostModelInputs, rates: CostModelRates, validFrom: string): Promise<{ version: CostModelVersion; created: boolean }> {
    const recordedAt = this.store.nowIso();
    return this.store.db.transaction().execute(async (tx) => {
      const openRow = await tx.selectFrom('cost_models').selectAll().where('provider', '=', provider).where('valid_to', 'is', null).executeTakeFirst();
      const open = openRow ? fromRow(openRow) : null;
      if (open && CostModelVersions.same(open, inputs, rates)) return { version: open, created: false };
      if (open) {
        // A period never ends before it starts (a clock behind the one of the process that opened it, say).
        if (validFrom <= open.validFrom) {
          throw new ConflictError(`the cost model of ${provider} would change at ${validFrom}, not after its current version began (${open.validFrom}): apply it again`);
        }
        await tx.updateTable('cost_models').set({ valid_to: validFrom }).where('provider', '=', provider).where('valid_from', '=', open.validFrom).where('valid_to', 'is', null).execute();
      }
      const row: CostModelsTable = { provider, valid_from: validFrom, valid_to: null, inputs: JSON.stringify(inputs), rates: JSON.stringify(rates), recorded_at: recordedAt };
      await tx.insertInto('cost_models').values(row).execute();
      return { version: fromRow(row), created: true };
    });
  }
}

function fromRow(r: Selectable<CostModelsTable>): CostModelVersion {
  return {
    provider: r.provider,
    validFrom: r.valid_from,
    validTo: r.valid_to,
    inputs: JSON.parse(r.inputs) as CostModelVersion['inputs'],
    rates: JSON.parse(r.rates) as CostModelRates,
    recordedAt: r.recorded_at,
  };
}
