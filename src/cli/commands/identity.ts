import type { Command } from 'commander';
import type { AuditEntry } from '../../identity/audit.js';
import type { TokenCreated, TokenView, UserView } from '../../core/identity.js';
import { ApiClient } from '../client.js';
import { commandContext } from '../context.js';
import { credentialsPath, forgetToken, saveToken } from '../credentials-file.js';
import { UsageError } from '../errors.js';
import { age } from '../format.js';
import type { CliIo } from '../io.js';
import type { TableView } from '../output.js';
import { positiveInteger, resourceName } from '../parsers.js';

interface WhoAmI {
  name: string;
  kind: string;
  orgAdmin: boolean;
  via: string;
  roles: { project: string; role: string }[];
}

/** Signing the CLI in and out, who am I, API tokens, users and service accounts, project members, the audit log. */
export function registerIdentityCommands(program: Command, io: CliIo): void {
  program
    .command('login')
    .description('check an API token with the server and keep it for this server URL (file mode 0600)')
    .option('--token <token>', 'the API token (default: $TESSERA_TOKEN)')
    .action(async (flags: { token?: string }, command: Command) => {
      const ctx = commandContext(command, io);
      const token = flags.token ?? io.env['TESSERA_TOKEN'];
      if (!token) throw new UsageError('give the token: tessera login --token <token> (or set TESSERA_TOKEN)');
      const me = await new ApiClient({ baseUrl: ctx.client.baseUrl, token }).get<WhoAmI>('/v1/whoami');
      const path = credentialsPath(io.env);
      saveToken(path, ctx.client.baseUrl, token, me.name);
      ctx.printer.result({ server: ctx.client.baseUrl, principal: me.name, credentials: path }, () => `signed in to ${ctx.client.baseUrl} as ${me.name} (token kept in ${path})`);
    });

  program
    .command('logout')
    .description('forget the token kept for this server URL')
    .action((_flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const forgot = forgetToken(credentialsPath(io.env), ctx.client.baseUrl);
      ctx.printer.result({ server: ctx.client.baseUrl, forgot }, () => (forgot ? `signed out of ${ctx.client.baseUrl}` : `no token was kept for ${ctx.client.baseUrl}`));
    });

  program
    .command('whoami')
    .description('the signed-in principal and its roles')
    .action(async (_flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const me = await ctx.client.get<WhoAmI>('/v1/whoami');
      ctx.printer.result(me, () => ({
        fields: [
          ['NAME', me.name],
          ['KIND', me.kind],
          ['ORG ADMIN', me.orgAdmin ? 'yes' : 'no'],
          ['SIGNED IN WITH', me.via],
          ['ROLES', me.roles.map((r) => `${r.project}=${r.role}`).join(', ') || (me.orgAdmin ? '(admin everywhere)' : '(none)')],
        ],
      }));
    });

  const token = program.command('token').description('API tokens for the CLI and for machines');
  token
    .command('create')
    .description('create an API token; its secret is printed once')
    .argument('<name>', 'what the token is for, e.g. ci-deploy')
    .option('--for <principal>', 'a service account or user (organisation admins); default: yourself')
    .option('--scope <project=role>', 'narrow to a project and at most a role; repeatable', collectScope, [])
    .option('--expires-in-days <days>', 'lifetime in days (1-366)', positiveInteger, 90)
    .action(async (name: string, flags: { for?: string; scope: { project: string; role: string }[]; expiresInDays: number }, command: Command) => {
      const ctx = commandContext(command, io);
      const created = await ctx.client.post<TokenCreated>('/v1/tokens', {
        name,
        principal: flags.for,
        scopes: flags.scope.length > 0 ? flags.scope : undefined,
        expiresInDays: flags.expiresInDays,
      });
      ctx.printer.result(created, () => `token ${created.id} for ${created.principal}, expires ${created.expiresAt}; shown this once:\n\n  ${created.secret}\n`);
    });
  token
    .command('list')
    .description('list your tokens (organisation admins: --all)')
    .option('--all', "everyone's tokens")
    .action(async (flags: { all?: boolean }, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<{ items: TokenView[] }>('/v1/tokens', { all: flags.all ? 'true' : undefined });
      ctx.printer.result(page.items, () => tokenTable(page.items));
    });
  token
    .command('revoke')
    .description('revoke a token: it stops working at once')
    .argument('<id>', 'token id (t-…)')
    .action(async (id: string, _flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const revoked = await ctx.client.delete<TokenView>(`/v1/tokens/${encodeURIComponent(id)}`);
      ctx.printer.result(revoked, () => `revoked ${revoked.id} (${revoked.name})`);
    });

  const user = program.command('user').description('users and service accounts (organisation admins)');
  user
    .command('list')
    .description('list users and service accounts with their roles')
    .action(async (_flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<{ items: UserView[] }>('/v1/users');
      ctx.printer.result(page.items, () => ({
        head: ['NAME', 'KIND', 'SOURCE', 'ORG ADMIN', 'ROLES', 'LAST SIGN-IN'],
        rows: page.items.map((u) => [u.name, u.kind, u.source, u.orgAdmin ? 'yes' : '', u.roles.map((r) => `${r.project}=${r.role}`).join(', '), age(u.lastLoginAt)]),
      }));
    });
  program
    .command('service-account')
    .description('service accounts: principals for machines')
    .command('create')
    .argument('<name>', 'lowercase letters, digits and "-"', resourceName)
    .action(async (name: string, _flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const created = await ctx.client.post<UserView>('/v1/service-accounts', { name });
      ctx.printer.result(created, () => `created service account ${created.name}; give it a role with tessera project member add`);
    });

  const member = program.commands.find((c) => c.name() === 'project')!.command('member').description("a project's members and their roles");
  member
    .command('list')
    .argument('<project>', 'project name')
    .action(async (project: string, _flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<{ items: { principal: string; kind: string; role: string; sources: string[] }[] }>(`/v1/projects/${encodeURIComponent(project)}/members`);
      ctx.printer.result(page.items, () => ({ head: ['PRINCIPAL', 'KIND', 'ROLE', 'FROM'], rows: page.items.map((m) => [m.principal, m.kind, m.role, m.sources.join(', ')]) }));
    });
  member
    .command('add')
    .description('give a user or service account a role in the project (project admins)')
    .argument('<project>', 'project name')
    .argument('<principal>', 'user or service account name')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .action(async (project: string, principal: string, flags: { role: string }, command: Command) => {
      const ctx = commandContext(command, io);
      const m = await ctx.client.put<{ principal: string; role: string }>(`/v1/projects/${encodeURIComponent(project)}/members/${encodeURIComponent(principal)}`, { role: flags.role });
      ctx.printer.result(m, () => `${m.principal} is ${m.role} in ${project}`);
    });
  member
    .command('remove')
    .description('remove a role given by hand (roles from SSO groups follow the groups)')
    .argument('<project>', 'project name')
    .argument('<principal>', 'user or service account name')
    .action(async (project: string, principal: string, _flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const r = await ctx.client.delete<{ removed: boolean }>(`/v1/projects/${encodeURIComponent(project)}/members/${encodeURIComponent(principal)}`);
      ctx.printer.result(r, () => (r.removed ? `removed ${principal}'s role in ${project}` : `${principal} had no hand-given role in ${project}`));
    });

  program
    .command('audit')
    .description('the audit log: who did what, when, from where, with what result')
    .option('--principal <name>', 'only this user or service account')
    .option('--action <action>', 'e.g. instance.create, or instance.* for all instance actions')
    .option('--result <result>', 'success, denied or failed')
    .option('--project <project>', 'only this project')
    .option('--from <iso>', 'from this time (ISO 8601)')
    .option('--to <iso>', 'until this time (ISO 8601)')
    .option('--limit <n>', 'at most this many entries', positiveInteger, 100)
    .option('--export', 'every matching entry as JSON lines (for archiving), whatever -o says')
    .action(async (flags: { principal?: string; action?: string; result?: string; project?: string; from?: string; to?: string; limit: number; export?: boolean }, command: Command) => {
      const ctx = commandContext(command, io);
      const { export: exportAll, limit, ...filters } = flags;
      if (exportAll) {
        const res = await ctx.client.openStream('/v1/audit', { ...filters, format: 'jsonl' }, new AbortController().signal);
        io.stdout.write(await res.text());
        return;
      }
      const page = await ctx.client.get<{ items: AuditEntry[] }>('/v1/audit', { ...filters, limit });
      ctx.printer.result(page.items, () => ({
        head: ['AT', 'PRINCIPAL', 'FROM', 'ACTION', 'RESOURCE', 'PROJECT', 'RESULT', 'REQUEST'],
        rows: page.items.map((e) => [e.at, e.principal ?? '-', e.sourceIp, e.action, e.resourceId, e.project, `${e.result} ${e.statusCode ?? ''}`.trim(), e.requestId]),
      }));
    });
}

function collectScope(value: string, previous: { project: string; role: string }[]): { project: string; role: string }[] {
  const m = /^([a-z0-9-]+)=(viewer|operator|admin)$/.exec(value);
  if (!m) throw new UsageError(`--scope ${value}: write project=role, with role viewer, operator or admin`);
  return [...previous, { project: m[1]!, role: m[2]! }];
}

function tokenTable(tokens: TokenView[]): TableView {
  return {
    head: ['ID', 'NAME', 'PRINCIPAL', 'SCOPES', 'EXPIRES', 'LAST USED', 'REVOKED'],
    rows: tokens.map((t) => [
      t.id,
      t.name,
      t.principal,
      t.scopes ? t.scopes.map((s) => `${s.project}=${s.role}`).join(', ') : '(all of the principal’s)',
      t.expiresAt,
      age(t.lastUsedAt),
      t.revokedAt ?? '',
    ]),
  };
}
