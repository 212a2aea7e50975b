import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/runtime/config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(text: string, name = 'tessera.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('without a config file gives the defaults and no providers, so the caller serves the demo estate', () => {
    expect(loadConfig({ env: {}, cwd: dir })).toEqual({
      port: 8080,
      host: '127.0.0.1',
      dataDir: './data',
      logLevel: 'info',
      metrics: { public: true },
      otlp: { enabled: true },
      discovery: { intervalSeconds: 60, pageSize: 1000 },
      controller: { concurrency: 32, resyncSeconds: 30, leaseSeconds: 30 },
      federation: { aws: { accounts: [] } },
      providers: null,
    });
  });

  it('reads tessera.yaml from the working directory and fills in what it leaves out', () => {
    writeConfig(`
port: 9000
controller:
  concurrency: 8
providers:
  - name: aws-east
    type: aws
    rateLimit: { perSecond: 20, burst: 40 }
    breaker: { failureThreshold: 5, coolDownSeconds: 10, maxCoolDownSeconds: 300 }
    config: { region: us-east-1, roleArn: "arn:aws:iam::123:role/tessera" }
  - name: onprem
    type: baremetal
`);
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config.port).toBe(9000);
    expect(config.controller).toEqual({ concurrency: 8, resyncSeconds: 30, leaseSeconds: 30 });
    expect(config.providers).toEqual([
      {
        name: 'aws-east',
        type: 'aws',
        rateLimit: { perSecond: 20, burst: 40 },
        breaker: { failureThreshold: 5, coolDownMs: 10_000, maxCoolDownMs: 300_000 },
        config: { region: 'us-east-1', roleArn: 'arn:aws:iam::123:role/tessera' },
      },
      { name: 'onprem', type: 'baremetal' },
    ]);
  });

  it('passes on only the breaker settings that were given, leaving the rest to the provider defaults', () => {
    writeConfig('providers:\n  - { name: sim, type: sim, rateLimit: { perSecond: null }, breaker: { failureThreshold: 3 } }\n');
    expect(loadConfig({ env: {}, cwd: dir }).providers).toEqual([
      { name: 'sim', type: 'sim', rateLimit: { perSecond: null }, breaker: { failureThreshold: 3 } },
    ]);
  });

  it('lets the command line beat the environment, the environment beat the file, and the file beat the defaults', () => {
    writeConfig('port: 1000\nhost: 10.0.0.1\ndataDir: /file\nlogLevel: warn\n');
    const env = { TESSERA_PORT: '2000', TESSERA_HOST: '10.0.0.2', TESSERA_DATABASE_URL: 'postgres://db/tessera' };
    const config = loadConfig({ env, cwd: dir, overrides: { port: 3000, dataDir: undefined } });
    expect(config).toMatchObject({
      port: 3000,
      host: '10.0.0.2',
      dataDir: '/file',
      logLevel: 'warn',
      databaseUrl: 'postgres://db/tessera',
      metrics: { public: true },
    });
  });

  it('reads every TESSERA_* setting from the environment, ignoring empty ones', () => {
    const env = {
      TESSERA_PORT: '0',
      TESSERA_HOST: '0.0.0.0',
      TESSERA_DATA_DIR: '/var/lib/tessera',
      TESSERA_DATABASE_URL: 'postgresql://u@h/t',
      TESSERA_LOG_LEVEL: 'debug',
      TESSERA_SECRET_KEY: '',
    };
    expect(loadConfig({ env, cwd: dir })).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/var/lib/tessera',
      databaseUrl: 'postgresql://u@h/t',
      logLevel: 'debug',
    });
    expect(loadConfig({ env: { TESSERA_PORT: '' }, cwd: dir }).port).toBe(8080);
  });

  it('loads the file named by TESSERA_CONFIG, and the one named on the command line before it', () => {
    writeConfig('port: 1111\n', 'from-env.yaml');
    writeConfig('port: 2222\n', 'from-flag.yaml');
    const env = { TESSERA_CONFIG: 'from-env.yaml' };
    expect(loadConfig({ env, cwd: dir }).port).toBe(1111);
    expect(loadConfig({ env, cwd: dir, path: join(dir, 'from-flag.yaml') }).port).toBe(2222);
  });

  it('refuses a named config file that does not exist, saying who named it', () => {
    expect(configError(() => loadConfig({ env: {}, cwd: dir, path: 'missing.yaml' }))).toBe(
      `The config file ${join(dir, 'missing.yaml')}, named on the command line, does not exist: correct the path or create the file.`,
    );
    expect(configError(() => loadConfig({ env: { TESSERA_CONFIG: 'gone.yaml' }, cwd: dir }))).toMatch(/named by TESSERA_CONFIG, does not exist/);
  });

  it('reports bad YAML with its line and column', () => {
    writeConfig('port: 8080\nproviders:\n  - name: a\n   type: sim\n');
    const message = configError(() => loadConfig({ env: {}, cwd: dir }));
    expect(message).toMatch(/tessera\.yaml is not valid YAML: .*at line 4, column \d+/);
  });

  it('reports a duplicate key in YAML with its line', () => {
    writeConfig('port: 1\nport: 2\n');
    expect(configError(() => loadConfig({ env: {}, cwd: dir }))).toMatch(/unique.*line 2/);
  });

  it('refuses a file that is not a mapping', () => {
    writeConfig('- port: 1\n');
    expect(configError(() => loadConfig({ env: {}, cwd: dir }))).toMatch(/must be a mapping of settings .*not a list/);
  });

  it('treats an empty file as no settings', () => {
    writeConfig('# nothing yet\n');
    expect(loadConfig({ env: {}, cwd: dir }).port).toBe(8080);
  });

  it('refuses an unknown top-level key, naming the allowed ones', () => {
    writeConfig('prot: 8080\n');
    expect(configError(() => loadConfig({ env: {}, cwd: dir }))).toBe(
      `Invalid configuration in ${join(dir, 'tessera.yaml')}:\n` +
        '  - top level: unknown key "prot"; the keys allowed here are: ' +
        'port, host, dataDir, databaseUrl, logLevel, publicUrl, metrics, otlp, discovery, controller, federation, providers',
    );
  });

  it('refuses unknown keys inside sections too', () => {
    writeConfig('providers:\n  - { name: a, type: sim, ratelimit: { perSecond: 1 } }\n');
    expect(configError(() => loadConfig({ env: {}, cwd: dir }))).toContain(
      '  - providers[0]: unknown key "ratelimit"; the keys allowed here are: name, type, rateLimit, breaker, config, costModel',
    );
  });

  it('reads a provider\'s placement labels (for deployments\' placement.labels) and refuses bad ones', () => {
    writeConfig('providers:\n  - name: a\n    type: sim\n    placement: { labels: { residency: kr }, regions: { r1: { tier: dr } } }\n');
    expect(loadConfig({ env: {}, cwd: dir }).providers?.[0]?.placement).toEqual({ labels: { residency: 'kr' }, regions: { r1: { tier: 'dr' } } });
    writeConfig('providers:\n  - name: a\n    type: sim\n    placement: { label: { residency: kr } }\n');
    expect(configError(() => loadConfig({ env: {}, cwd: dir }))).toContain('unknown key "label"; the keys allowed here are: labels, regions');
    writeConfig('providers:\n  - name: a\n    type: sim\n    placement: { labels: { residency: "k r" } }\n');
    expect(configError(() => loadConfig({ env: {}, cwd: dir }))).toContain('label values are at most 63 letters');
  });

  it('names the key, what was wrong and what is expected for each invalid value', () => {
    writeConfig(`
port: 70000
logLevel: loud
databaseUrl: mysql://root:hunter2@db/tessera
discovery: { pageSize: 0 }
providers:
  - name: aws-east
    type: aws
    rateLimit: { perSecond: fast }
  - type: sim
  - name: gcp
    type: gcp
    breaker: { coolDownSeconds: 600, maxCoolDownSeconds: 60 }
  - { name: idle, type: sim, rateLimit: { perSecond: 0 } }
`);
    const message = configError(() => loadConfig({ env: {}, cwd: dir }));
    expect(message.split('\n')).toEqual(
      expect.arrayContaining([
        '  - port: must be at most 65535',
        '  - logLevel: must be one of: fatal, error, warn, info, debug, trace, silent',
        '  - databaseUrl: must be a PostgreSQL URL such as postgres://user:password@host:5432/tessera',
        '  - discovery.pageSize: must be at least 1',
        '  - providers[0].rateLimit.perSecond: expected a number, got text',
        '  - providers[1].name: is required: expected text',
        '  - providers[2].breaker: coolDownSeconds must not exceed maxCoolDownSeconds',
        '  - providers[3].rateLimit.perSecond: must be greater than 0, or null for no limit',
      ]),
    );
    expect(message).not.toContain('hunter2');
  });

  it('refuses two providers with one name', () => {
    writeConfig('providers:\n  - { name: aws, type: aws }\n  - { name: gcp, type: gcp }\n  - { name: aws, type: aws }\n');
    expect(configError(() => loadConfig({ env: {}, cwd: dir }))).toContain(
      '  - providers[2].name: "aws" is already the name of providers[0]; provider names must be unique',
    );
  });

  it('says which environment variable or flag set a bad value', () => {
    const fromEnv = configError(() => loadConfig({ env: { TESSERA_PORT: 'eighty' }, cwd: dir }));
    expect(fromEnv).toBe('Invalid configuration:\n  - port: expected a number, got text (from TESSERA_PORT)');
    const fromFlag = configError(() => loadConfig({ env: {}, cwd: dir, overrides: { port: 80.5 } }));
    expect(fromFlag).toContain('  - port: expected a whole number, got 80.5 (from the command line)');
  });
});
