import type { Command } from 'commander';
import type { Page, ProviderInfo } from '../api-types.js';
import { commandContext } from '../context.js';
import { age, providerLabel } from '../format.js';
import type { CliIo } from '../io.js';
import type { TableView } from '../output.js';

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
