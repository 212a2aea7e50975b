import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { registerBaremetalCommands } from './commands/baremetal.js';
import { registerCatalogCommands } from './commands/catalog.js';
import { registerCloudCommands } from './commands/cloud.js';
import { registerCostCommands } from './commands/cost.js';
import { registerCostReportCommands } from './commands/cost-report.js';
import { registerDeployCommands } from './commands/deploy.js';
import { registerGetCommand } from './commands/get.js';
import { registerEventsCommand } from './commands/events.js';
import { registerFlavorCommands } from './commands/flavor.js';
import { registerFleetCommand } from './commands/fleet.js';
import { registerIdentityCommands } from './commands/identity.js';
import { registerImageCommands } from './commands/image.js';
import { registerInstanceCommands } from './commands/instance.js';
import { registerMaturityCommand } from './commands/maturity.js';
import { registerProjectCommands } from './commands/project.js';
import { registerProviderCommands } from './commands/provider.js';
import { registerRegionCommands } from './commands/region.js';
import { registerServerCommand } from './commands/server.js';
import { registerSsoCommands } from './commands/sso.js';
import { registerWatchCommand } from './commands/watch.js';
import { DEFAULT_API_URL } from './client.js';
import { ExitCode, UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { OUTPUT_FORMATS } from './output.js';
import { httpUrl } from './parsers.js';

/**
 * Runs one `tessera` command line (without the `node` and script arguments) and returns its exit code.
 * Nothing here touches `process`: main.ts passes the real streams and environment, tests pass their own.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    return reportFailure(error, io);
  }
}

function buildProgram(io: CliIo): Command {
  const program = new Command('tessera')
    .description('One control plane for bare metal, containers, KVM, AWS, Azure and GCP.')
    // Both must be set before subcommands are added: commander copies them into each one as it is created.
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .version(packageVersion(), '-V, --version', 'print the version')
    .addOption(
      new Option('--url <url>', `API server URL (default: $TESSERA_URL, else ${DEFAULT_API_URL})`).argParser(httpUrl),
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .addHelpText(
      'after',
      '\nEnvironment: TESSERA_URL (API server URL), TESSERA_TOKEN (API token, sent as a bearer token; else the one tessera login kept).',
    );

  registerServerCommand(program, io);
  registerInstanceCommands(program, io);
  registerDeployCommands(program, io);
  registerGetCommand(program, io);
  registerProviderCommands(program, io);
  registerBaremetalCommands(program, io);
  registerFlavorCommands(program, io);
  registerCatalogCommands(program, io);
  registerCostReportCommands(registerCostCommands(program, io), io);
  registerRegionCommands(program, io);
  registerImageCommands(program, io);
  registerProjectCommands(program, io);
  registerIdentityCommands(program, io);
  registerCloudCommands(program, io);
  registerSsoCommands(program, io);
  registerFleetCommand(program, io);
  registerMaturityCommand(program, io);
  registerEventsCommand(program, io);
  registerWatchCommand(program, io);
  return program;
}

/** One line on stderr, and the exit code that tells a script what kind of failure it was. */
function reportFailure(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help/version text that ended the run).
    return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`error: ${message}\n`);
  if (io.env['TESSERA_DEBUG'] && error instanceof Error && error.stack) io.stderr.write(error.stack + '\n');
  return error instanceof UsageError ? ExitCode.Usage : ExitCode.Failure;
}

function packageVersion(): string {
  // src/cli and dist/cli are both two levels below the package root.
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
