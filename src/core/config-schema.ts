import { z } from 'zod';

/**
 * Building blocks for the configuration schemas of tessera.yaml and of each provider's block, so every section
 * reports mistakes the same way.
 */

/** A strict section: an unknown key is an error that lists the allowed ones, so a typo never goes unnoticed. */
export function section<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys.map((key) => `"${key}"`).join(', ')}; the keys allowed here are: ${allowed}`
        : undefined,
  });
}

/** A USD amount per hour as written in YAML (`0.012` or `"0.012"`), kept as written and converted to micro-dollars by its reader. */
export function usdPerHour(example: string) {
  return z.union([z.number(), z.string()]).refine((value) => /^\d+(\.\d+)?$/.test(String(value).trim()), {
    message: `a price is a non-negative decimal amount of USD per hour, such as ${example}`,
  });
}
