import type { CacheItem, CacheProvider } from '@node-saml/node-saml';
import type { Store } from '../store/store.js';

/**
 * node-saml's record of the requests this SP sent (for InResponseTo checks), kept in the database so that the
 * answer may reach any server sharing it. Entries older than `ttlMs` count as absent and are pruned.
 */
export class SamlRequestCache implements CacheProvider {
  constructor(
    private readonly store: Store,
    private readonly ttlMs: number,
  ) {}

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    const createdAt = Date.now();
    const res = await this.store.db
      .insertInto('saml_requests')
      .values({ id: key, value, created_at: createdAt })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0 ? { value, createdAt } : null;
  }

  async getAsync(key: string): Promise<string | null> {
    const row = await this.store.db.selectFrom('saml_requests').select(['value', 'created_at']).where('id', '=', key).executeTakeFirst();
    if (!row || Number(row.created_at) < Date.now() - this.ttlMs) return null;
    return row.value;
  }

  async removeAsync(key: string | null): Promise<string | null> {
    if (key === null) return null;
    const value = await this.getAsync(key);
    await this.store.db.deleteFrom('saml_requests').where('id', '=', key).execute();
    return value;
  }

  async prune(): Promise<void> {
    await this.store.db.deleteFrom('saml_requests').where('created_at', '<', Date.now() - this.ttlMs).execute();
  }
}
