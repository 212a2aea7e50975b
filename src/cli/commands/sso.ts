import type { Command } from 'commander';
import type { SsoConfig } from '../../identity/sso-config.js';
import { commandContext } from '../context.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { positiveInteger } from '../parsers.js';
import { readTextFile } from '../read-text-file.js';

type Rule = { group: string; project: string; role: string } | { group: string; orgAdmin: true };

/** Single sign-on setup: import the IdP's metadata and the group → role rules; show it; print Tessera's SP metadata. */
export function registerSsoCommands(program: Command, io: CliIo): void {
  const sso = program.command('sso').description('SAML single sign-on (organisation admins)');

  sso
    .command('configure')
    .description("set up SSO from the IdP's metadata and map IdP groups to project roles (replaces the previous setup)")
    .requiredOption('--metadata <url-or-file>', "the IdP's SAML metadata: an http(s) URL Tessera fetches, or a file")
    .option('--entity-id <id>', 'which IdP, when the metadata holds several')
    .option('--rule <group=project:role>', 'members of the group get the role in the project; repeatable', collectRule, [])
    .option('--org-admin-group <group>', 'members of the group are organisation admins; repeatable', collectOrgAdminGroup, [])
    .option('--group-attribute <name>', 'the SAML attribute listing groups', 'groups')
    .option('--require-signed-assertions', 'refuse assertions without their own signature (not just a signed response)')
    .option('--session-hours <n>', 'how long a sign-in lasts', positiveInteger, 12)
    .action(
      async (
        flags: { metadata: string; entityId?: string; rule: Rule[]; orgAdminGroup: Rule[]; groupAttribute: string; requireSignedAssertions?: boolean; sessionHours: number },
        command: Command,
      ) => {
        const ctx = commandContext(command, io);
        const isUrl = /^https?:\/\//.test(flags.metadata);
        const metadata = isUrl ? { metadataUrl: flags.metadata } : { metadataXml: await readTextFile(flags.metadata, 'the metadata file') };
        const cfg = await ctx.client.put<SsoConfig>('/v1/sso', {
          ...metadata,
          entityId: flags.entityId,
          groupAttribute: flags.groupAttribute,
          rules: [...flags.orgAdminGroup, ...flags.rule],
          requireSignedAssertions: flags.requireSignedAssertions ?? false,
          sessionHours: flags.sessionHours,
        });
        ctx.printer.result(cfg, () => describe(cfg));
      },
    );

  sso
    .command('show')
    .description('the SSO setup: the IdP and the group rules')
    .action(async (_flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const cfg = await ctx.client.get<SsoConfig>('/v1/sso');
      ctx.printer.result(cfg, () => describe(cfg));
    });

  sso
    .command('metadata')
    .description("print Tessera's SP metadata, to register Tessera at the IdP")
    .action(async (_flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const res = await fetch(`${ctx.client.baseUrl}/saml/metadata`);
      if (!res.ok) throw new Error(`the server answered ${res.status} for /saml/metadata`);
      io.stdout.write(await res.text());
      io.stdout.write('\n');
    });
}

function describe(cfg: SsoConfig): string {
  const rules = cfg.rules.map((r) => ('orgAdmin' in r ? `  ${r.group} → organisation admin` : `  ${r.group} → ${r.role} in ${r.project}`));
  return [
    `identity provider  ${cfg.idp.entityId}`,
    `sign-in URL        ${cfg.idp.ssoUrl}`,
    `logout URL         ${cfg.idp.sloUrl ?? '(none: sign-out ends the Tessera session only)'}`,
    `signing certs      ${cfg.idp.signingCertificates.length}`,
    `groups attribute   ${cfg.groupAttribute}`,
    `sessions last      ${cfg.sessionHours} h`,
    'rules:',
    ...(rules.length > 0 ? rules : ['  (none: people sign in without any role)']),
  ].join('\n');
}


function collectRule(value: string, previous: Rule[]): Rule[] {
  const m = /^(.+)=([a-z0-9-]+):(viewer|operator|admin)$/.exec(value);
  if (!m) throw new UsageError(`--rule ${value}: write group=project:role, with role viewer, operator or admin`);
  return [...previous, { group: m[1]!, project: m[2]!, role: m[3]! }];
}

function collectOrgAdminGroup(value: string, previous: Rule[]): Rule[] {
  if (value.trim() === '') throw new UsageError('--org-admin-group needs a group name');
  return [...previous, { group: value, orgAdmin: true }];
}
