import type { FastifyInstance } from 'fastify';
import type { ControlPlane } from '../../src/api/control-plane.js';
import { INSTANCE_KIND } from '../../src/core/instance.js';
import { fromRow } from '../../src/store/rows.js';
import type { ResourcesTable } from '../../src/store/schema.js';

export interface CostLine {
  step: string;
  microseconds: number;
}

/**
 * Where one `GET /v1/instances/{id}` spends its time, measured layer by layer in this process without sockets:
 * the SQL alone, the store's read (Kysely + SQLite + decoding the JSON columns), encoding the answer, and the
 * whole Fastify pipeline through `inject` (routing, validation, hooks, serialisation). Sequential calls, so
 * each figure is a cost per request, not a throughput under concurrency. SQLite only (it reads the raw handle).
 */
export async function measureRequestCost(
  cp: ControlPlane,
  app: FastifyInstance,
  ids: string[],
  iterations: number,
  headers: Record<string, string>,
): Promise<CostLine[]> {
  const sqlite = cp.store.connection.sqlite;
  if (!sqlite) throw new Error('the request cost breakdown reads SQLite directly');
  const select = sqlite.prepare<[string, string], ResourcesTable>('SELECT * FROM resources WHERE kind = ? AND id = ?');
  const row = select.get(INSTANCE_KIND, ids[0]!)!;
  const instance = fromRow(row);
  const idAt = (i: number) => ids[i % ids.length]!;

  return [
    { step: 'SQL only (prepared better-sqlite3 get)', microseconds: timeSync(iterations, (i) => select.get(INSTANCE_KIND, idAt(i))) },
    { step: 'decode row (3 × JSON.parse)', microseconds: timeSync(iterations, () => fromRow(row)) },
    { step: 'store.get (Kysely + SQL + decode)', microseconds: await timeAsync(iterations, (i) => cp.store.get(INSTANCE_KIND, idAt(i))) },
    { step: 'encode answer (JSON.stringify)', microseconds: timeSync(iterations, () => JSON.stringify(instance)) },
    {
      step: 'whole route via app.inject',
      microseconds: await timeAsync(iterations, (i) => app.inject({ method: 'GET', url: `/v1/instances/${idAt(i)}`, headers })),
    },
  ];
}

function timeSync(iterations: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < iterations / 4; i++) fn(i); // warm-up: let the JIT settle first
  const started = performance.now();
  for (let i = 0; i < iterations; i++) fn(i);
  return ((performance.now() - started) * 1000) / iterations;
}

async function timeAsync(iterations: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < iterations / 4; i++) await fn(i);
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await fn(i);
  return ((performance.now() - started) * 1000) / iterations;
}
