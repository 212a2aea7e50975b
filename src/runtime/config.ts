import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { Labels } from '../core/resource.js';
import { section } from '../core/config-schema.js';
import { Role } from '../core/identity.js';
import { NAME_PATTERN } from '../core/ids.js';

/** The configuration cannot be used; the message says which setting, what is wrong, and what to do. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const DEFAULT_CONFIG_FILE = 'tessera.yaml';

const seconds = () => z.number().positive();

/**
 * Rate limit and breaker settings are passed on only where given: the provider registry owns their defaults,
 * which also serve providers that are not configured from a file (the demo estate).
 */
const providerSchema = section({
  name: z.string().regex(NAME_PATTERN, 'must be lowercase letters, digits and inner hyphens, e.g. "aws-east"'),
  type: z.string().min(1),
  rateLimit: section({
    perSecond: z.number().positive('must be greater than 0, or null for no limit').nullable(),
    burst: z.number().int().min(1).optional(),
  }).optional(),
  breaker: section({
    failureThreshold: z.number().int().min(1).optional(),
    coolDownSeconds: seconds().optional(),
    maxCoolDownSeconds: seconds().optional(),
  })
    .refine(
      ({ coolDownSeconds, maxCoolDownSeconds }) =>
        coolDownSeconds === undefined || maxCoolDownSeconds === undefined || coolDownSeconds <= maxCoolDownSeconds,
      { message: 'coolDownSeconds must not exceed maxCoolDownSeconds' },
    )
    // Durations are seconds in the file, as everywhere in Tessera's interface; the breaker counts milliseconds.
    .transform(({ failureThreshold, coolDownSeconds, maxCoolDownSeconds }) => ({
      ...(failureThreshold !== undefined && { failureThreshold }),
      ...(coolDownSeconds !== undefined && { coolDownMs: coolDownSeconds * 1000 }),
      ...(maxCoolDownSeconds !== undefined && { maxCoolDownMs: maxCoolDownSeconds * 1000 }),
    }))
    .optional(),
  /** Provider-specific settings, validated by that provider's driver. */
  config: z.record(z.string(), z.unknown()).optional(),
  /** A private provider's cost model, validated by the metering plane when the server starts (src/metering/cost-model). */
  costModel: z.record(z.string(), z.unknown()).optional(),
  /** Facts deployments may require of where they run (`residency: kr`), for the whole provider and per region. */
  placement: section({
    labels: Labels.optional(),
    regions: z.record(z.string().min(1), Labels).optional(),
  }).optional(),
});

const AWS_ACCOUNT_ID = /^\d{12}$/;
/** The account id is captured: a provider or role of another account than the one it is listed under is refused. */
const AWS_SAML_PROVIDER_ARN = /^arn:aws:iam::(\d{12}):saml-provider\/[\w.@-]{1,128}$/;
const AWS_ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const nameOf = (what: string) => z.string().regex(NAME_PATTERN, `${what} names are lowercase letters, digits and inner hyphens, e.g. "prod"`);

/**
 * Who may assume an AWS role: `{ orgAdmin: true }` (organisation admins), or `{ project, role }` (that role or
 * a stronger one in that project; organisation admins hold admin everywhere). Written as one mapping with
 * optional keys and checked here, so a mistake gets one sentence that shows both forms, not a union's riddle.
 */
const awsGrantSchema = section({
  orgAdmin: z.literal(true, { error: 'must be true; to grant the role to a project role instead, write { project: NAME, role: ROLE }' }).optional(),
  project: nameOf('project').optional(),
  role: Role.optional(),
})
  .superRefine((grant, ctx) => {
    const byProject = grant.project !== undefined || grant.role !== undefined;
    if (grant.orgAdmin && byProject) {
      ctx.addIssue({ code: 'custom', message: 'write either { orgAdmin: true } or { project: NAME, role: ROLE } in one grant, not both: make them two grants' });
    } else if (!grant.orgAdmin && (grant.project === undefined || grant.role === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a grant is { orgAdmin: true } (organisation admins) or { project: NAME, role: viewer|operator|admin } (that role or a stronger one in the project)' });
    }
  })
  .transform((grant): { orgAdmin: true } | { project: string; role: Role } => (grant.orgAdmin ? { orgAdmin: true } : { project: grant.project!, role: grant.role! }));

const awsRoleSchema = section({
  arn: z.string().regex(AWS_ROLE_ARN, 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/Operators'),
  /** How people name the role on the command line; without it, the last part of the ARN (e.g. Operators). */
  name: nameOf('role').optional(),
  grantedTo: z.array(awsGrantSchema).min(1, 'must list at least one grant, e.g. [{ orgAdmin: true }] or [{ project: alpha, role: operator }]'),
});

const awsAccountSchema = section({
  id: z
    .string({ error: (issue) => (typeof issue.input === 'number' ? 'must be quoted: id: "012345678901" (unquoted, YAML reads a number and drops leading zeros)' : undefined) })
    .regex(AWS_ACCOUNT_ID, 'must be the 12-digit AWS account id, e.g. "123456789012"'),
  name: nameOf('account').optional(),
  /** The IAM SAML provider created from Tessera's metadata (GET /saml/idp/metadata); see docs/federation.md. */
  samlProviderArn: z.string().regex(AWS_SAML_PROVIDER_ARN, "must be the ARN of the IAM SAML provider made from Tessera's metadata, e.g. arn:aws:iam::123456789012:saml-provider/Tessera"),
  /** Another STS endpoint (a VPC endpoint, a test double); default: the STS endpoint of stsRegion. */
  stsEndpoint: z.string().regex(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/, 'must be an http(s) URL such as https://sts.eu-west-1.amazonaws.com').optional(),
  /** Default us-east-1. */
  stsRegion: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1').optional(),
  /** The longest session Tessera asks AWS for, and the default (default 3600; the role's MaxSessionDuration must allow it). */
  sessionSeconds: z.number().int().min(900).max(43200).optional(),
  roles: z.array(awsRoleSchema).min(1, 'must list at least one role'),
}).superRefine((account, ctx) => {
  const providerAccount = AWS_SAML_PROVIDER_ARN.exec(account.samlProviderArn)?.[1];
  if (providerAccount !== undefined && providerAccount !== account.id) {
    ctx.addIssue({ code: 'custom', path: ['samlProviderArn'], message: `names account ${providerAccount}, not this account (${account.id}): a role trusts a SAML provider of its own account` });
  }
  const seen = new Map<string, number>();
  account.roles.forEach((role, index) => {
    const roleAccount = AWS_ROLE_ARN.exec(role.arn)?.[1];
    if (roleAccount !== undefined && roleAccount !== account.id) {
      ctx.addIssue({ code: 'custom', path: ['roles', index, 'arn'], message: `names account ${roleAccount}, not this account (${account.id}): list the role under its own account` });
    }
    for (const key of [role.arn, role.name].filter((k) => k !== undefined)) {
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else ctx.addIssue({ code: 'custom', path: ['roles', index], message: `"${key}" is already used by roles[${first}]; role ARNs and names must be unique in an account` });
    }
  });
});

/** Federation into the clouds: Tessera as a SAML identity provider (today AWS; see docs/federation.md). */
const federationSchema = section({
  aws: section({
    accounts: z
      .array(awsAccountSchema)
      .default([])
      .superRefine((accounts, ctx) => {
        const seen = new Map<string, number>();
        accounts.forEach((account, index) => {
          for (const key of [account.id, account.name].filter((k) => k !== undefined)) {
            const first = seen.get(key);
            if (first === undefined) seen.set(key, index);
            else ctx.addIssue({ code: 'custom', path: [index], message: `"${key}" is already used by accounts[${first}]; account ids and names must be unique` });
          }
        });
      }),
  }).prefault({}),
}).prefault({});

const configSchema = section({
  /** 0 lets the system pick a free port (tests do). */
  port: z.number().int().min(0).max(65535).default(8080),
  /** Loopback by default: serving the API to the network should be a deliberate choice (e.g. TESSERA_HOST=0.0.0.0). */
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('./data'),
  /** PostgreSQL to scale out; the embedded SQLite file in dataDir when absent. */
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a PostgreSQL URL such as postgres://user:password@host:5432/tessera')
    .optional(),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /**
   * The URL people and identity providers reach this server at (behind a proxy, its outside address). SAML
   * entity ids, sign-in and logout URLs are made from it; without it, from each request's own address.
   */
  publicUrl: z
    .string()
    .regex(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/, 'must be an http(s) URL such as https://tessera.example.com')
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  /** public: /metrics is served without authentication, for a Prometheus scraper. */
  metrics: section({ public: z.boolean().default(true) }).prefault({}),
  /** The OTLP/HTTP metrics receiver (POST /v1/metrics), on a port of its own beside the API. */
  otlp: section({
    enabled: z.boolean().default(true),
    /** Default 4318, OTLP/HTTP's own (skipped with a warning when another process holds it); 0 picks a free port. */
    port: z.number().int().min(0).max(65535).optional(),
    /** Default: the API's host. */
    host: z.string().min(1).optional(),
  }).prefault({}),
  discovery: section({
    intervalSeconds: seconds().default(60),
    pageSize: z.number().int().min(1).default(1000),
  }).prefault({}),
  controller: section({
    concurrency: z.number().int().min(1).default(32),
    resyncSeconds: seconds().default(30),
    leaseSeconds: seconds().default(30),
  }).prefault({}),
  federation: federationSchema,
  /** null (not listed, or no config file at all): the caller serves the simulated demo estate. */
  providers: z
    .array(providerSchema)
    .nullable()
    .default(null)
    .superRefine((providers, ctx) => {
      const firstIndexByName = new Map<string, number>();
      providers?.forEach(({ name }, index) => {
        const first = firstIndexByName.get(name);
        if (first === undefined) firstIndexByName.set(name, index);
        else ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${name}" is already the name of providers[${first}]; provider names must be unique` });
      });
    }),
});

export type TesseraConfig = z.output<typeof configSchema>;
export type ProviderSettings = NonNullable<TesseraConfig['providers']>[number];
export type LogLevel = TesseraConfig['logLevel'];
export type FederationSettings = TesseraConfig['federation'];
export type AwsAccountSettings = FederationSettings['aws']['accounts'][number];
export type AwsRoleSettings = AwsAccountSettings['roles'][number];
export type AwsRoleGrant = AwsRoleSettings['grantedTo'][number];

/** Settings given on the command line; they win over the environment, which wins over the file. */
export interface ConfigOverrides {
  port?: number;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  logLevel?: LogLevel;
  publicUrl?: string;
}

const ENVIRONMENT_VARIABLES: Record<keyof ConfigOverrides, string> = {
  port: 'TESSERA_PORT',
  host: 'TESSERA_HOST',
  dataDir: 'TESSERA_DATA_DIR',
  databaseUrl: 'TESSERA_DATABASE_URL',
  logLevel: 'TESSERA_LOG_LEVEL',
  publicUrl: 'TESSERA_PUBLIC_URL',
};

export interface LoadConfigOptions {
  /** The config file named on the command line; else TESSERA_CONFIG; else tessera.yaml if it exists. */
  path?: string;
  env: NodeJS.ProcessEnv;
  overrides?: ConfigOverrides;
  /** Where relative paths and the default tessera.yaml are looked up; the process's working directory if omitted. */
  cwd?: string;
}

/** Reads tessera.yaml (if any), applies the environment and command-line overrides, and validates the result. */
export function loadConfig(options: LoadConfigOptions): TesseraConfig {
  const { env, overrides = {}, cwd = process.cwd() } = options;
  const namedBy = options.path !== undefined ? 'on the command line' : env.TESSERA_CONFIG ? 'by TESSERA_CONFIG' : null;
  const file = resolve(cwd, options.path ?? (env.TESSERA_CONFIG || DEFAULT_CONFIG_FILE));
  const fromFile = readConfigFile(file, namedBy);

  const settings: Record<string, unknown> = { ...fromFile };
  /** Which layer set a top-level key, when not the file: told in error messages so the right place gets fixed. */
  const origins = new Map<string, string>();
  for (const [key, variable] of Object.entries(ENVIRONMENT_VARIABLES)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    // The environment holds only text; the port is the one number among these settings.
    settings[key] = key === 'port' && /^\d+$/.test(raw) ? Number(raw) : raw;
    origins.set(key, `from ${variable}`);
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    settings[key] = value;
    origins.set(key, 'from the command line');
  }

  // Messages set in the schema take precedence over describeIssue, which words the common cases.
  const result = configSchema.safeParse(settings, { error: describeIssue });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const origin = origins.get(String(issue.path[0]));
      return `  - ${formatPath(issue.path)}: ${issue.message}${origin ? ` (${origin})` : ''}`;
    });
    const where = fromFile === undefined ? '' : ` in ${file}`;
    throw new ConfigError(`Invalid configuration${where}:\n${problems.join('\n')}`);
  }
  return result.data;
}

/** The file's settings; undefined when there is no file and none was named. */
function readConfigFile(file: string, namedBy: string | null): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code !== 'ENOENT') throw new ConfigError(`Cannot read the config file ${file}: ${message}`);
    if (namedBy === null) return undefined;
    throw new ConfigError(`The config file ${file}, named ${namedBy}, does not exist: correct the path or create the file.`);
  }
  const document = YAML.parseDocument(text, { prettyErrors: true });
  const [syntaxError] = document.errors;
  if (syntaxError) {
    // With prettyErrors the message carries the line, the column and the offending text.
    throw new ConfigError(`The config file ${file} is not valid YAML: ${syntaxError.message.trimEnd()}`);
  }
  const settings: unknown = document.toJS();
  if (settings === null || settings === undefined) return {};
  if (typeof settings !== 'object' || Array.isArray(settings)) {
    throw new ConfigError(`The config file ${file} must be a mapping of settings (such as "port: 8080"), not ${describeValue(settings)}.`);
  }
  return settings as Record<string, unknown>;
}

/** `providers[0].rateLimit.perSecond`, the way the key is written in the file. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'top level';
  return path
    .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`))
    .join('');
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  array: 'a list',
};

/** zod's wording ("Invalid input: expected number, received string") rephrased for someone editing YAML. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `is required: expected ${expected}` : `expected ${expected}, got ${describeValue(issue.input)}`;
    }
    case 'too_small':
      return issue.origin === 'string'
        ? 'must not be empty'
        : `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map(String).join(', ')}`;
    default:
      return undefined;
  }
}

/** What was found, without quoting text: a misplaced value may be a password. */
function describeValue(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
