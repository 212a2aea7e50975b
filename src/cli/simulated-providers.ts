import type { Page, ProviderInfo } from './api-types.js';
import type { CommandContext } from './context.js';

/**
 * Names of the simulated providers, for labelling tables whose rows do not carry the flag themselves
 * (instances, images). Labels are for people only, so JSON and YAML output skip the extra request; and a
 * failure here yields no labels rather than failing the listing that asked.
 */
export async function simulatedProvidersToLabel(ctx: CommandContext): Promise<Set<string>> {
  if (ctx.printer.format !== 'table') return new Set();
  try {
    const page = await ctx.client.get<Page<ProviderInfo>>('/v1/providers');
    return new Set(page.items.filter((provider) => provider.simulated).map((provider) => provider.name));
  } catch {
    return new Set();
  }
}
