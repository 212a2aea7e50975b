import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.js';
import type { Page, ProviderInfo } from '../api-types.js';
import { commandContext } from '../context.js';
import { age, providerLabel } from '../format.js';
import type { CliIo } from '../io.js';
import type { TableView } from '../output.js';
import { readTextFile } from '../read-text-file.js';

export function registerProviderCommands(program: Command, io: CliIo): void {
  const provider = program.command('provider').description('the clouds and private infrastructure Tessera drives');

  provider
    .command('list')
    .description('list providers with their health, circuit breaker and rate limit')
    .action(async (_flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<Page<ProviderInfo>>('/v1/providers');
      ctx.printer.result(page.items, () => providerTable(page.items));
    });

  provider
    .command('credentials')
    .description("store a provider's credentials, encrypted at rest (they are never shown again)")
    .argument('<name>', 'provider name')
    .requiredOption('--from-file <file>', 'a JSON or YAML file of string keys and values, e.g. accessKeyId, secretAccessKey')
    .action(async (name: string, flags: { fromFile: string }, command: Command) => {
      const ctx = commandContext(command, io);
      const credentials = await readCredentialsFile(flags.fromFile);
      const stored = await ctx.client.put<{ provider: string; keys: string[]; note: string }>(
        `/v1/providers/${encodeURIComponent(name)}/credentials`,
        credentials,
      );
      ctx.printer.result(stored, () => `credentials for ${stored.provider} (${stored.keys.join(', ')}): ${stored.note}`);
    });
}

/** Reads the file here, not on the server: the secret travels only in the request body. */
async function readCredentialsFile(file: string): Promise<Record<string, string>> {
  const text = await readTextFile(file, 'the credentials file');
  let parsed: unknown;
  try {
    parsed = parseYaml(text); // YAML is a superset of JSON
  } catch {
    throw new UsageError(`${file} is neither JSON nor YAML: write an object of string keys and values`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new UsageError(`${file} must hold an object whose values are all strings, e.g. {"accessKeyId": "…", "secretAccessKey": "…"}`);
  }
  return parsed as Record<string, string>;
}

function providerTable(providers: ProviderInfo[]): TableView {
  return {
    head: ['NAME', 'TYPE', 'HEALTH', 'CIRCUIT', 'RATE LIMIT', 'INSTANCES', 'LAST SYNC', 'LAST ERROR'],
    rows: providers.map((p) => [
      providerLabel(p.name, p.simulated),
      p.type,
      p.health,
      circuitText(p.circuit),
      rateLimitText(p.rateLimit),
      p.instances,
      p.lastSyncAt ? `${age(p.lastSyncAt)} ago` : 'never',
      p.lastError,
    ]),
  };
}

function circuitText(circuit: ProviderInfo['circuit']): string {
  if (circuit.state === 'closed') return 'closed';
  const failures = `${circuit.consecutiveFailures} failures`;
  return circuit.retryAt ? `${circuit.state} (${failures}, retry at ${circuit.retryAt})` : `${circuit.state} (${failures})`;
}

function rateLimitText(limit: ProviderInfo['rateLimit']): string {
  if (limit.perSecond === null) return 'unlimited';
  const queued = limit.queued > 0 ? `, ${limit.queued} queued` : '';
  return `${limit.perSecond}/s, ${limit.available}/${limit.burst} free${queued}`;
}
