import { z } from 'zod';

/** Shared API shapes (the OpenAPI document is generated from these and the core schemas). */
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string(),
    }),
  })
  .meta({ id: 'Error' });

export const IdParams = z.object({
  id: z.string().regex(/^[a-z]{1,3}-[0-9a-z]{8,32}$/, { message: 'not a Tessera id (ids look like i-3k9x0q2m7c1ab4de)' }),
});

export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });
}

export function itemsOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({ items: z.array(item) }).meta({ id });
}

/** The errors any route may answer, for the OpenAPI document. */
export const COMMON_ERRORS = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse, 503: ErrorResponse } as const;

export const Limit = z.coerce.number().int().min(1).max(1000).default(100);
