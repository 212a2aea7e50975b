import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../src/core/resource.js';
import { encodeRow, fromRow, toRow } from '../../src/store/rows.js';

const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

const resource: fc.Arbitrary<Resource> = fc.record({
  id: fc.string({ maxLength: 40 }),
  kind: fc.constantFrom('Instance', 'Project'),
  project: fc.string({ maxLength: 20 }),
  name: fc.string({ maxLength: 63 }),
  labels: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })),
  spec: fc.dictionary(fc.string({ maxLength: 10 }), json),
  status: fc.dictionary(fc.string({ maxLength: 10 }), json),
  generation: fc.nat(),
  resourceVersion: fc.nat(),
  createdAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  updatedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  deletedAt: fc.option(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), { nil: null }),
});

describe('row encoding', () => {
  it('encodes a stored row to the same JSON as decoding it and encoding the resource', () => {
    fc.assert(
      fc.property(resource, (r) => {
        const row = toRow(r);
        expect(encodeRow(row)).toBe(JSON.stringify(fromRow(row)));
      }),
      { numRuns: 500 },
    );
  });
});
