import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTANCE_KIND, type Instance } from '../../src/core/instance.js';
import type { Condition } from '../../src/core/resource.js';
import { TESSERA_ID_LABEL } from '../../src/providers/driver.js';
import type { SimDriver } from '../../src/providers/sim/driver.js';
import type { SimMachine } from '../../src/providers/sim/state.js';
import { eventually, simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';

/**
 * Item 6 of the issue, second half: an instance changed or deleted outside Tessera gets a `Drifted` condition and,
 * per its driftPolicy, is recreated (`recreate`) or left for a person (`report`). Drift is found by inventory
 * sync, which hands the instance to the controller.
 */

interface EventView {
  type: string;
  reason: string;
  message: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DIALECTS)('drift on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let sim: SimDriver;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(tdb, [simProvider('dr')], { controller: { pollMs: 50 } });
    sim = t.cp.providers.get('dr')!.inner as SimDriver;
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const json = <T = Instance>(r: { body: string }) => JSON.parse(r.body) as T;
  const instance = async (id: string) => json(await get(`/v1/instances/${id}`));
  const sync = () => t.cp.discovery.sync(t.cp.providers.get('dr')!);
  const eventsOf = async (id: string) => json<{ items: EventView[] }>(await get(`/v1/events?resourceId=${id}&limit=1000`)).items;
  const drifted = (i: Instance): Condition | undefined => i.status.conditions.find((c) => c.type === 'Drifted');
  /** Every machine the sim ever recorded for this instance (by Tessera's label), deleted ones included. */
  const machinesOf = (id: string): SimMachine[] => sim.simMachines().filter((m) => m.labels[TESSERA_ID_LABEL] === id);
  const liveMachinesOf = (id: string) => machinesOf(id).filter((m) => m.deletedAt === null);
  const machine = (externalId: string) => sim.simMachines().find((m) => m.externalId === externalId)!;
  const calls = () => sim.simState().calls;

  /** A managed instance, converged and Running. */
  async function running(name: string, driftPolicy: 'report' | 'recreate'): Promise<Instance> {
    const r = await t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name, provider: 'dr', region: 'r1', flavor: 'small', driftPolicy } });
    expect(r.statusCode).toBe(202);
    const id = json(r).id;
    return eventually(async () => {
      const i = await instance(id);
      return i.status.phase === 'Running' && i.status.observedGeneration === i.generation ? i : null;
    }, 10_000, `${name} to be Running`);
  }

  /** Waits until the controller has nothing left queued for this instance. */
  async function quiet(id: string): Promise<void> {
    await eventually(async () => {
      const row = await t.cp.store.db.selectFrom('work').select('resource_id').where('kind', '=', INSTANCE_KIND).where('resource_id', '=', id).executeTakeFirst();
      return row === undefined;
    }, 10_000, `${id} to leave the work queue`);
  }

  it('a converged instance is not requeued by a sync (no drift, no churn)', async () => {
    const inst = await running('steady', 'report');
    await quiet(inst.id);
    const before = calls();
    const r = await sync();
    expect(r.requeued).toBe(0);
    await sleep(200);
    expect(calls().observe ?? 0).toBe(before.observe ?? 0);
    const after = await instance(inst.id);
    expect(after.resourceVersion).toBe(inst.resourceVersion);
    expect(drifted(after)).toBeUndefined();
  });

  it('report: a machine deleted outside → Drifted(DeletedOutside), Failed with advice, and no new machine', async () => {
    const inst = await running('gone-report', 'report');
    const externalId = inst.status.externalId!;
    expect(sim.externalDelete(externalId)).toBe(true);
    const createsBefore = calls().create ?? 0;

    const r = await sync();
    expect(r.requeued).toBeGreaterThanOrEqual(1);
    const failed = await eventually(async () => {
      const i = await instance(inst.id);
      return i.status.phase === 'Failed' ? i : null;
    }, 10_000, 'Failed');
    expect(failed.status.reason).toBe('DeletedOutside');
    expect(failed.status.message).toContain(externalId);
    expect(failed.status.message).toMatch(/left for a person/);
    expect(failed.status.message).toMatch(/delete it, or set driftPolicy: recreate/);
    expect(drifted(failed)).toMatchObject({ status: 'True', reason: 'DeletedOutside' });
    expect(await eventsOf(inst.id)).toContainEqual(expect.objectContaining({ type: 'Drifted', reason: 'DeletedOutside' }));

    // Nothing is made again, now or on later syncs.
    await sync();
    await sleep(300);
    expect(calls().create ?? 0).toBe(createsBefore);
    expect(liveMachinesOf(inst.id)).toHaveLength(0);
    const later = await instance(inst.id);
    expect(later.status.phase).toBe('Failed');
    expect(later.status.externalId).toBe(externalId);
  });

  it('recreate: a machine deleted outside → a new machine (new id, attempt 1), Running again, drift recorded', async () => {
    const inst = await running('gone-recreate', 'recreate');
    const oldId = inst.status.externalId!;
    expect(sim.externalDelete(oldId)).toBe(true);
    await sync();
    const back = await eventually(async () => {
      const i = await instance(inst.id);
      return i.status.phase === 'Running' && i.status.externalId !== oldId && i.status.externalId !== null ? i : null;
    }, 10_000, 'Running on a new machine');
    expect(back.status.createAttempt).toBe(1);
    expect(back.status.createToken).toBe(`tsr-${inst.id}-1`);
    const live = liveMachinesOf(inst.id);
    expect(live).toHaveLength(1);
    expect(live[0]!.externalId).toBe(back.status.externalId);
    expect(live[0]!.token).toBe(`tsr-${inst.id}-1`);
    expect(live[0]!.flavor).toBe('small');
    // The condition stays, now saying it converged again; the event log has what happened.
    expect(drifted(back)).toMatchObject({ type: 'Drifted', status: 'False', reason: 'Converged' });
    const events = await eventsOf(inst.id);
    expect(events).toContainEqual(expect.objectContaining({ type: 'Drifted', reason: 'DeletedOutside', message: expect.stringMatching(/recreating/) }));
    // A sync after recovery finds nothing more to do.
    await quiet(inst.id);
    expect((await sync()).requeued).toBe(0);
    expect(liveMachinesOf(inst.id)).toHaveLength(1);
  });

  it('recreate: flavor changed outside → the changed machine is deleted and a new one has the spec flavor', async () => {
    const inst = await running('resized', 'recreate');
    const oldId = inst.status.externalId!;
    sim.externalModify(oldId, { flavor: 'large' });
    await sync();
    const back = await eventually(async () => {
      const i = await instance(inst.id);
      return i.status.phase === 'Running' && i.status.externalId !== oldId && i.status.externalId !== null ? i : null;
    }, 10_000, 'Running on a new machine');
    expect(machine(oldId).deletedAt).not.toBeNull();
    const live = liveMachinesOf(inst.id);
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ externalId: back.status.externalId, flavor: 'small' });
    expect(back.spec.flavor).toBe('small');
    expect(back.status.createAttempt).toBe(1);
    expect(await eventsOf(inst.id)).toContainEqual(expect.objectContaining({ type: 'Drifted', reason: 'FlavorChangedOutside' }));
    expect(drifted(back)).toBeDefined();
  });

  it('report: flavor changed outside → Drifted(FlavorChangedOutside); the machine is left as it is', async () => {
    const inst = await running('resized-report', 'report');
    const externalId = inst.status.externalId!;
    sim.externalModify(externalId, { flavor: 'medium' });
    const deletesBefore = calls().delete ?? 0;
    await sync();
    const seen = await eventually(async () => {
      const i = await instance(inst.id);
      return drifted(i)?.status === 'True' ? i : null;
    }, 10_000, 'a Drifted condition');
    expect(drifted(seen)).toMatchObject({ reason: 'FlavorChangedOutside', message: expect.stringMatching(/medium.*small/) });
    expect(seen.status.reason).toBe('FlavorChangedOutside');
    expect(seen.status.message).toMatch(/left for a person/);
    expect(seen.status.externalId).toBe(externalId);
    await sleep(300);
    expect(calls().delete ?? 0).toBe(deletesBefore);
    expect(machine(externalId)).toMatchObject({ deletedAt: null, flavor: 'medium' });
  });

  it('report: power changed outside → Drifted(PowerChangedOutside), and the machine stays stopped', async () => {
    const inst = await running('stopped-outside', 'report');
    const externalId = inst.status.externalId!;
    await quiet(inst.id);
    sim.externalModify(externalId, { power: 'off' });
    const powerBefore = calls().power ?? 0;
    await sync();
    const seen = await eventually(async () => {
      const i = await instance(inst.id);
      return drifted(i)?.status === 'True' ? i : null;
    }, 10_000, 'a Drifted condition');
    expect(drifted(seen)).toMatchObject({ reason: 'PowerChangedOutside', message: expect.stringMatching(/stopped outside Tessera/) });
    expect(seen.status).toMatchObject({ phase: 'Stopped', reason: 'PowerChangedOutside' });
    expect(seen.status.message).toMatch(/left for a person/);
    expect(seen.spec.powerState).toBe('on'); // what was asked is unchanged; the person decides
    expect(await eventsOf(inst.id)).toContainEqual(expect.objectContaining({ type: 'PhaseChanged', reason: 'Stopped' }));

    await sync();
    await sleep(300);
    expect(calls().power ?? 0).toBe(powerBefore);
    expect(machine(externalId).power).toBe('off');
    expect((await instance(inst.id)).status.phase).toBe('Stopped');
  });

  it('report: power changed outside is in the event log as Drifted(PowerChangedOutside)', async () => {
    const inst = await running('stopped-outside-3', 'report');
    await quiet(inst.id);
    sim.externalModify(inst.status.externalId!, { power: 'off' });
    await sync();
    await eventually(async () => drifted(await instance(inst.id))?.status === 'True', 10_000, 'a Drifted condition');
    expect(await eventsOf(inst.id)).toContainEqual(expect.objectContaining({ type: 'Drifted', reason: 'PowerChangedOutside' }));
  });

  it('report: a later reconcile still leaves the machine stopped outside for a person', async () => {
    const inst = await running('stopped-outside-2', 'report');
    const externalId = inst.status.externalId!;
    await quiet(inst.id);
    sim.externalModify(externalId, { power: 'off' });
    await sync();
    await eventually(async () => drifted(await instance(inst.id))?.status === 'True', 10_000, 'a Drifted condition');
    await quiet(inst.id);
    // What a crashed process's expired lease, or any other requeue, amounts to.
    await t.cp.store.enqueue(INSTANCE_KIND, [inst.id], Date.now());
    await quiet(inst.id);
    await sleep(200);
    expect(machine(externalId).power).toBe('off');
    expect(drifted(await instance(inst.id))).toMatchObject({ status: 'True', reason: 'PowerChangedOutside' });
  });

  it('recreate: power changed outside → started again, with the drift in the event log', async () => {
    const inst = await running('restarted', 'recreate');
    const externalId = inst.status.externalId!;
    await quiet(inst.id);
    sim.externalModify(externalId, { power: 'off' });
    expect(machine(externalId).power).toBe('off');
    await sync();
    await eventually(async () => machine(externalId).power === 'on', 10_000, 'the machine to be powered on again');
    const back = await eventually(async () => {
      const i = await instance(inst.id);
      return i.status.phase === 'Running' ? i : null;
    }, 10_000, 'Running');
    expect(back.status.externalId).toBe(externalId); // the same machine: a power change needs no new one
    expect(liveMachinesOf(inst.id)).toHaveLength(1);
    expect(await eventsOf(inst.id)).toContainEqual(
      expect.objectContaining({ type: 'Drifted', reason: 'PowerChangedOutside', message: expect.stringMatching(/restoring the desired state/) }),
    );
  });

  it('report: image changed outside → Drifted(ImageChangedOutside), machine kept', async () => {
    const inst = await running('reimaged', 'report');
    const externalId = inst.status.externalId!;
    sim.externalModify(externalId, { image: 'debian-12' });
    await sync();
    const seen = await eventually(async () => {
      const i = await instance(inst.id);
      return drifted(i)?.status === 'True' ? i : null;
    }, 10_000, 'a Drifted condition');
    expect(drifted(seen)!.reason).toBe('ImageChangedOutside');
    expect(machine(externalId).deletedAt).toBeNull();
    expect(liveMachinesOf(inst.id)).toHaveLength(1);
  });

  it('a Tessera machine whose owner has not recorded it yet is never reported as discovered', async () => {
    // Every machine at `dr` was made by Tessera: none of them may show up as a discovered duplicate.
    await sync();
    const page = json<{ items: Instance[] }>(await get('/v1/instances?provider=dr&managed=false&limit=1000'));
    expect(page.items).toEqual([]);
  });
});
