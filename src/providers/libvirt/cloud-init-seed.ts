import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * First-boot configuration through cloud-init's NoCloud data source: an ISO 9660 image labelled `cidata` holding
 * `meta-data` (the instance id and hostname) and `user-data` (the request's, or a minimal `#cloud-config`).
 * cloud-init finds it on any attached drive by that label; a guest without cloud-init simply ignores it.
 */

const run = promisify(execFile);

export interface SeedInput {
  /** cloud-init runs its once-per-instance modules again when this changes. */
  instanceId: string;
  hostname: string;
  userData: string | null;
}

/** YAML scalars here are Tessera ids and sanitised hostnames, but quoted anyway: a value never becomes YAML syntax. */
function yamlString(value: string): string {
  return JSON.stringify(value);
}

export function metaDataFor(input: SeedInput): string {
  return `instance-id: ${yamlString(input.instanceId)}\nlocal-hostname: ${yamlString(input.hostname)}\n`;
}

/** The request's user data as given (cloud-config, a script, a MIME multipart); otherwise just the hostname. */
export function userDataFor(input: SeedInput): string {
  if (input.userData !== null && input.userData.length > 0) return input.userData;
  return `#cloud-config\nhostname: ${yamlString(input.hostname)}\n`;
}

export interface SeedIso {
  path: string;
  bytes: number;
  /** Removes the ISO and its working directory. */
  dispose(): Promise<void>;
}

/** Builds the ISO with genisoimage in a private temporary directory (Joliet and Rock Ridge, as cloud-init expects). */
export async function buildSeedIso(input: SeedInput): Promise<SeedIso> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-seed-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await writeFile(join(dir, 'meta-data'), metaDataFor(input));
    await writeFile(join(dir, 'user-data'), userDataFor(input));
    const path = join(dir, 'seed.iso');
    await run('genisoimage', ['-quiet', '-output', path, '-volid', 'cidata', '-joliet', '-rock', 'user-data', 'meta-data'], { cwd: dir });
    return { path, bytes: (await stat(path)).size, dispose };
  } catch (e) {
    await dispose();
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error('genisoimage is not installed on the machine running Tessera: install the genisoimage package');
    }
    throw new Error(`genisoimage could not build the cloud-init seed: ${err.stderr?.trim() || err.message}`);
  }
}
