import type { Store } from './store.js';

/** Small named values the server keeps in its database (SSO configuration, its SAML key), as JSON. */
export class Settings {
  constructor(private readonly store: Store) {}

  async get<T>(key: string): Promise<T | null> {
    const row = await this.store.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row ? (JSON.parse(row.value) as T) : null;
  }

  async put(key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    const at = this.store.nowIso();
    await this.store.db
      .insertInto('settings')
      .values({ key, value: text, updated_at: at })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: text, updated_at: at }))
      .execute();
  }

  /** Stores `value` only if the key is still free; answers what is stored afterwards (ours, or another server's). */
  async putIfAbsent<T>(key: string, value: T): Promise<T> {
    await this.store.db
      .insertInto('settings')
      .values({ key, value: JSON.stringify(value), updated_at: this.store.nowIso() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    return (await this.get<T>(key))!;
  }

  async delete(key: string): Promise<void> {
    await this.store.db.deleteFrom('settings').where('key', '=', key).execute();
  }
}
