import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { loadConfig } from '../runtime/config.js';
import { createLogger } from '../runtime/logger.js';
import { buildApp } from './app.js';
import { ControlPlane } from './control-plane.js';
import { demoEstate } from './demo-estate.js';
import { startOtlpReceiver, type RunningOtlpReceiver } from './otlp-receiver.js';

export interface StartOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  configPath?: string;
  databaseUrl?: string;
  /** PostgreSQL schema to use (tests and benchmarks give each run its own). */
  databaseSchema?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Run controllers and inventory sync in this process (default true; an API-only process sets false). */
  background?: boolean;
  /** Issue and show a new token for the organisation admin (its token was lost): the break-glass way back in. */
  newAdminToken?: boolean;
  /** Where a new bootstrap token is shown, once (default: stderr, away from the JSON log lines on stdout). */
  announce?: (text: string) => void;
}

export interface RunningServer {
  url: string;
  /** Where the OTLP/HTTP receiver listens; null when it is disabled or its default port was taken. */
  otlpUrl: string | null;
  app: FastifyInstance;
  controlPlane: ControlPlane;
  close(): Promise<void>;
}

/** Starts a Tessera server: configuration, store, providers, controllers and the HTTP API. */
export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const env = opts.env ?? process.env;
  const config = loadConfig({
    path: opts.configPath,
    env,
    overrides: { port: opts.port, host: opts.host, dataDir: opts.dataDir, databaseUrl: opts.databaseUrl },
  });
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const usingDemo = config.providers === null;
  const cp = await ControlPlane.open({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl ?? null,
    // A schema of its own in a shared PostgreSQL (isolated test runs; several Tesseras in one database).
    databaseSchema: opts.databaseSchema ?? (env.TESSERA_DATABASE_SCHEMA || undefined),
    providers: config.providers ?? demoEstate(),
    logger,
    controller: config.controller,
    discovery: config.discovery,
    env,
    metricsPublic: config.metrics.public,
    publicUrl: config.publicUrl,
    federation: config.federation,
  });
  let app: FastifyInstance;
  let otlp: RunningOtlpReceiver | null = null;
  try {
    app = await buildApp(cp);
    await app.listen({ port: config.port, host: config.host });
    if (config.otlp.enabled) {
      const api = app;
      otlp = await startOtlpReceiver(cp, { host: config.otlp.host ?? config.host, port: config.otlp.port }).catch(async (e: unknown) => {
        await api.close();
        throw e;
      });
    }
  } catch (e) {
    await cp.close();
    throw e;
  }
  if (opts.background ?? true) cp.startBackground();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.info(
    { url, otlpUrl: otlp?.url ?? null, database: cp.store.dialect, providers: cp.providers.names(), demoEstate: usingDemo },
    usingDemo ? 'Tessera is serving the demo estate (simulated providers: onprem, aws-sim, gcp-sim, azure-sim)' : 'Tessera is serving',
  );
  const announce = opts.announce ?? ((text: string) => process.stderr.write(text));
  announceBootstrap(cp, logger, announce);
  if (opts.newAdminToken && !cp.bootstrap.created) {
    const issued = await cp.identity.issueAdminToken();
    announce(`\nA new API token for the organisation admin "${issued.admin}", shown this once:\n\n  ${issued.token}\n\n`);
  }
  let closing: Promise<void> | null = null;
  return {
    url,
    otlpUrl: otlp?.url ?? null,
    app,
    controlPlane: cp,
    close: () =>
      (closing ??= (async () => {
        await otlp?.close();
        await app.close();
        await cp.close();
      })()),
  };
}

function announceBootstrap(cp: ControlPlane, logger: Logger, announce: (text: string) => void): void {
  const b = cp.bootstrap;
  if (b.created && !b.preset) {
    announce(
      `\nTessera created the organisation admin "${b.admin}". Its API token, shown this once:\n\n  ${b.token}\n\n` +
        `Sign the CLI in with:  tessera login --token ${b.token}\n(or export TESSERA_TOKEN=${b.token})\n\n`,
    );
  } else if (b.created) {
    logger.info({ admin: b.admin }, 'created the organisation admin with the token from TESSERA_BOOTSTRAP_TOKEN');
  } else if (b.presetIgnored) {
    logger.warn('TESSERA_BOOTSTRAP_TOKEN was ignored: this database already has its admin (create tokens with tessera token create)');
  }
}
