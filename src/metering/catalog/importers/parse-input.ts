import type { z } from 'zod';
import { InvalidInputError } from '../../../core/errors.js';

/**
 * Checks a published price list (or one entry of it) against the shape an importer reads; a file that is not of
 * the format at all becomes an InvalidInputError that names the entry, the field and what was expected.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(the entry itself)';
    return `${path}: ${issue.message}`;
  });
  const more = result.error.issues.length > 3 ? `; and ${result.error.issues.length - 3} more` : '';
  throw new InvalidInputError(`${what} is not what was expected: ${problems.join('; ')}${more}`);
}

/** The price APIs page their answers; an importer takes one page or an array of pages (one per request). */
export function asPages(input: unknown): unknown[] {
  return Array.isArray(input) ? input : [input];
}
