import { readFile } from 'node:fs/promises';
import { UsageError } from './errors.js';

/**
 * A file named on the command line, read here (the server may not see the client's disk). One that cannot be read
 * is a usage error naming what it was for and why: `cannot read --user-data-file init.yaml: ENOENT`.
 */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
