import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstanceCreate } from '../../src/core/instance.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';

describe.each(DIALECTS)('resync on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(tdb, [simProvider('rs')], { background: false });
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('gives a Pending instance whose work item was lost a new one, and leaves a scheduled retry alone', async () => {
    const lost = await t.cp.instances.create(InstanceCreate.parse({ name: 'lost', provider: 'rs', flavor: 'small' }));
    const waiting = await t.cp.instances.create(InstanceCreate.parse({ name: 'waiting', provider: 'rs', flavor: 'small' }));
    await t.cp.store.db.deleteFrom('work').where('resource_id', '=', lost.id).execute();
    await t.cp.store.db.updateTable('work').set({ due_at: Date.now() + 3_600_000 }).where('resource_id', '=', waiting.id).execute();

    await t.cp.resync();

    const due = (await t.cp.store.claimWork('Instance', 'probe', 100, 60_000)).map((w) => w.resourceId);
    expect(due).toContain(lost.id);
    expect(due).not.toContain(waiting.id);
  });
});
