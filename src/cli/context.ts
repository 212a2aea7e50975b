import type { Command } from 'commander';
import { ApiClient, DEFAULT_API_URL } from './client.js';
import { credentialsPath, savedToken } from './credentials-file.js';
import { UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { Printer, type OutputFormat } from './output.js';
import { httpUrl } from './parsers.js';

/** The options every command accepts (declared once, on the program). */
export interface GlobalOptions {
  url?: string;
  output: OutputFormat;
}

/** What a command's action works with: the API, where results go, and the process around it. */
export interface CommandContext {
  io: CliIo;
  client: ApiClient;
  printer: Printer;
}

/** Builds the context from the global options given anywhere on the command line, then the environment. */
export function commandContext(command: Command, io: CliIo): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const baseUrl = options.url ?? envUrl(io);
  return {
    io,
    client: new ApiClient({ baseUrl, token: io.env['TESSERA_TOKEN'] || savedToken(credentialsPath(io.env), baseUrl.replace(/\/+$/, '')) }),
    printer: new Printer(io.stdout, options.output, io.env),
  };
}

function envUrl(io: CliIo): string {
  const fromEnv = io.env['TESSERA_URL'];
  if (!fromEnv) return DEFAULT_API_URL;
  try {
    return httpUrl(fromEnv);
  } catch (error) {
    throw new UsageError(`TESSERA_URL=${fromEnv} is not usable: ${(error as Error).message}`);
  }
}
