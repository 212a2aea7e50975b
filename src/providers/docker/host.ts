import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { resolve } from 'node:path';
import Docker from 'dockerode';
import type { ProviderError } from '../driver.js';
import { InvalidInputError } from '../../core/errors.js';
import type { DockerHostConfig, DockerTlsConfig } from './config.js';
import { classifyEngineError } from './errors.js';
import { Semaphore } from './semaphore.js';

/** What a host has to give, from the engine's `/info`. */
export interface HostFacts {
  cpus: number;
  memoryBytes: number;
  /** As the engine says it, e.g. `x86_64` or `aarch64`. */
  arch: string;
  /** `linux` (or `windows` for a Windows engine): the OS of every image it runs. */
  os: string;
}

/** The host's size changes only when the machine is resized: asked again after this long. */
const FACTS_TTL_MS = 30_000;

/**
 * One Docker Engine of a provider: its client, how it is reached (for messages) and its cached size. Every call
 * goes through `call`, so every failure comes back as a ProviderError naming this host.
 */
export class DockerHost {
  private facts: { value: HostFacts; at: number } | null = null;
  /** Bounds the creates in flight on this engine (config `maxParallelCreates`). */
  readonly createSlots: Semaphore;

  private constructor(
    readonly provider: string,
    readonly name: string,
    readonly endpoint: string,
    readonly client: Docker,
    /** Tessera containers this host may hold; null: no limit. */
    readonly maxContainers: number | null,
    private readonly agent: HttpAgent,
    maxParallelCreates: number,
  ) {
    this.createSlots = new Semaphore(maxParallelCreates);
  }

  static fromConfig(provider: string, index: number, config: DockerHostConfig, opts: { timeoutMs: number; maxContainers: number | null; maxParallelCreates: number }): DockerHost {
    const tls = config.url !== undefined && config.tls ? readTls(provider, index, config.tls) : undefined;
    // A host's own connection pool, kept alive between calls and closed with the driver.
    const agent = tls ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    // Every option is set, even to undefined: dockerode otherwise fills gaps from DOCKER_HOST, DOCKER_CERT_PATH
    // and DOCKER_TLS_VERIFY in Tessera's environment, and a host configured as a socket would go elsewhere.
    const common = { timeout: opts.timeoutMs, version: undefined, headers: {}, agent };
    let options: Docker.DockerOptions & { agent: HttpAgent };
    let endpoint: string;
    if (config.socketPath !== undefined) {
      endpoint = `unix://${config.socketPath}`;
      options = { ...common, socketPath: config.socketPath, host: undefined, port: undefined, protocol: 'http', ca: undefined, cert: undefined, key: undefined };
    } else {
      const url = new URL(config.url!.replace(/^tcp:/, 'http:'));
      // Docker's conventional ports: 2376 with TLS, 2375 without.
      const port = url.port || (tls ? '2376' : '2375');
      endpoint = `tcp://${url.hostname}:${port}${tls ? ' (TLS)' : ''}`;
      options = { ...common, socketPath: undefined, host: url.hostname, port, protocol: tls ? 'https' : 'http', ca: tls?.ca, cert: tls?.cert, key: tls?.key };
    }
    return new DockerHost(provider, config.name, endpoint, new Docker(options), config.maxContainers ?? opts.maxContainers, agent, opts.maxParallelCreates);
  }

  /** Runs one engine call; any failure becomes a ProviderError that says which host, where, and what for. */
  async call<T>(action: string, fn: (docker: Docker) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client);
    } catch (e) {
      throw this.classify(e, action);
    }
  }

  /** The ProviderError for a failed engine call, for callers that look at the raw answer first. */
  classify(e: unknown, action: string): ProviderError {
    return classifyEngineError(e, { provider: this.provider, host: this.name, endpoint: this.endpoint, action });
  }

  close(): void {
    this.agent.destroy();
  }

  /** CPUs, memory and platform, cached for a while (the engine gathers a lot to answer /info). */
  async hostFacts(): Promise<HostFacts> {
    if (this.facts && Date.now() - this.facts.at < FACTS_TTL_MS) return this.facts.value;
    const info = (await this.call('read its CPUs and memory (/info)', (d) => d.info())) as {
      NCPU?: number;
      MemTotal?: number;
      Architecture?: string;
      OSType?: string;
    };
    const value: HostFacts = {
      cpus: info.NCPU ?? 0,
      memoryBytes: info.MemTotal ?? 0,
      arch: info.Architecture || 'unknown',
      os: info.OSType || 'linux',
    };
    this.facts = { value, at: Date.now() };
    return value;
  }
}

function readTls(provider: string, index: number, tls: DockerTlsConfig): { ca: string; cert: string; key: string } {
  const read = (field: keyof DockerTlsConfig) => readPem(provider, `hosts[${index}].tls.${field}`, tls[field]);
  return { ca: read('ca'), cert: read('cert'), key: read('key') };
}

/** Inline PEM is used as it is; anything else is a file path, relative to the working directory. */
function readPem(provider: string, field: string, value: string): string {
  if (value.includes('-----BEGIN ')) return value;
  const path = resolve(value);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InvalidInputError(
      `docker provider '${provider}': ${field} names the file ${path}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ` +
        'give the path of a PEM file Tessera can read, or the PEM text itself',
      { provider, field },
    );
  }
  if (!text.includes('-----BEGIN ')) {
    throw new InvalidInputError(`docker provider '${provider}': ${field} (${path}) is not a PEM file (no "-----BEGIN" line); give a PEM certificate or key`, {
      provider,
      field,
    });
  }
  return text;
}
