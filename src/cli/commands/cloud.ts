import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Argument, Option, type Command } from 'commander';
import type { AwsConsoleSignIn, AwsCredentials } from '../../identity/federation/aws-federation.js';
import type { AwsRoleView } from '../../identity/federation/aws-roles.js';
import { commandContext } from '../context.js';
import type { CliIo } from '../io.js';
import { positiveInteger } from '../parsers.js';

/** Only AWS is federated so far; Entra ID and GCP are described in docs/federation.md. */
const cloudArgument = () => new Argument('<cloud>', 'the cloud (aws; Azure and GCP are not federated yet)').choices(['aws']);

/** What `--format` prints instead of -o: the shapes shells and the AWS CLI read. */
const CREDENTIAL_FORMATS = ['env', 'credential-process'] as const;
type CredentialFormat = (typeof CREDENTIAL_FORMATS)[number];

interface RoleFlags {
  account: string;
  role: string;
}

/** Federation into the clouds with Tessera as the identity provider: the roles you may assume, credentials, console sign-in. */
export function registerCloudCommands(program: Command, io: CliIo): void {
  const cloud = program.command('cloud').description('sign in to public clouds through Tessera: roles you may assume, temporary credentials, the console');

  cloud
    .command('roles')
    .description('the cloud roles you may assume')
    .addArgument(cloudArgument())
    .action(async (_cloud: string, _flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<{ items: AwsRoleView[] }>('/v1/cloud/aws/roles');
      ctx.printer.result(page.items, () =>
        page.items.length === 0
          ? 'you may assume no AWS role: an organisation admin grants them in tessera.yaml (federation.aws)'
          : {
              head: ['ACCOUNT', 'ACCOUNT NAME', 'ROLE', 'ROLE ARN', 'MAX SESSION'],
              rows: page.items.map((r) => [r.account, r.accountName ?? '-', r.role, r.roleArn, `${r.maxSessionSeconds}s`]),
            },
      );
    });

  cloud
    .command('credentials')
    .description('temporary credentials for a role (printed, never stored); --format env or credential-process for shells and the AWS CLI')
    .addArgument(cloudArgument())
    .requiredOption('--account <account>', 'account id or name')
    .requiredOption('--role <role>', 'role name or ARN')
    .option('--duration <seconds>', "session length in seconds (900 up to the account's maximum)", positiveInteger)
    .addOption(
      new Option('--format <format>', 'env: export lines for a shell; credential-process: the JSON of the AWS CLI credential_process (overrides -o)').choices(
        CREDENTIAL_FORMATS,
      ),
    )
    .action(async (_cloud: string, flags: RoleFlags & { duration?: number; format?: CredentialFormat }, command: Command) => {
      const ctx = commandContext(command, io);
      const c = await ctx.client.post<AwsCredentials>('/v1/cloud/aws/credentials', { account: flags.account, role: flags.role, durationSeconds: flags.duration });
      if (flags.format === 'env') io.stdout.write(envLines(c));
      else if (flags.format === 'credential-process') io.stdout.write(`${JSON.stringify(credentialProcessOutput(c))}\n`);
      else {
        ctx.printer.result(c, () => ({
          fields: [
            ['ACCOUNT', c.account],
            ['ROLE', c.role],
            ['SESSION', c.assumedRoleArn],
            ['EXPIRES', c.expiration],
            ['AWS_ACCESS_KEY_ID', c.accessKeyId],
            ['AWS_SECRET_ACCESS_KEY', c.secretAccessKey],
            ['AWS_SESSION_TOKEN', c.sessionToken],
          ],
        }));
      }
    });

  cloud
    .command('console')
    .description('write a page that signs you in to the cloud console as a role; open it in a browser within 5 minutes')
    .addArgument(cloudArgument())
    .requiredOption('--account <account>', 'account id or name')
    .requiredOption('--role <role>', 'role name or ARN')
    .option('--out <file>', 'where to write the page (default: a new private temporary directory)')
    .action(async (_cloud: string, flags: RoleFlags & { out?: string }, command: Command) => {
      const ctx = commandContext(command, io);
      const signIn = await ctx.client.post<AwsConsoleSignIn>('/v1/cloud/aws/console', { account: flags.account, role: flags.role });
      const file = flags.out ? resolve(flags.out) : join(mkdtempSync(join(tmpdir(), 'tessera-aws-console-')), 'sign-in.html');
      // The page signs in whoever opens it: readable by its owner only.
      writeFileSync(file, signIn.html, { mode: 0o600 });
      chmodSync(file, 0o600);
      ctx.printer.result(
        { file, url: signIn.url, expiresAt: signIn.expiresAt, account: signIn.account, role: signIn.role },
        () =>
          `wrote the AWS console sign-in for ${signIn.role} to ${file}\n` +
          `open it in a browser before ${signIn.expiresAt}; whoever opens it signs in, so keep it to yourself: xdg-open ${file} (Linux), open ${file} (macOS), start ${file} (Windows)`,
      );
    });
}

/** `export NAME=value` lines for `eval "$(tessera cloud credentials aws … --format env)"`. */
function envLines(c: AwsCredentials): string {
  const variables: [string, string][] = [
    ['AWS_ACCESS_KEY_ID', c.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', c.secretAccessKey],
    ['AWS_SESSION_TOKEN', c.sessionToken],
    // Read by the AWS SDKs that refresh from the environment (e.g. JavaScript v3).
    ['AWS_CREDENTIAL_EXPIRATION', c.expiration],
  ];
  return variables.map(([name, value]) => `export ${name}=${shellWord(value)}\n`).join('');
}

/** The AWS CLI's `credential_process` contract: Version 1 and the four fields, on stdout. */
function credentialProcessOutput(c: AwsCredentials) {
  return { Version: 1, AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken, Expiration: c.expiration };
}

/** The value as one shell word: bare when it is plainly safe (keys and tokens are), else single-quoted. */
function shellWord(value: string): string {
  return /^[\w+/=.:,@%-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
