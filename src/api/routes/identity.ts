import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '../../core/errors.js';
import { NAME_PATTERN } from '../../core/ids.js';
import { PrincipalView, Role, ServiceAccountCreate, TokenCreate, TokenCreated, TokenView, UserView } from '../../core/identity.js';
import { projectsWith, requireOrgAdmin, requireRole } from '../../identity/access.js';
import { AuditEntry, AuditResult } from '../../identity/audit.js';
import { principalOf } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, itemsOf } from '../schemas.js';

const ProjectParam = z.object({ project: z.string().regex(NAME_PATTERN, { message: 'not a project name' }) });
/** People from SSO are named as their IdP names them (e.g. alice@example.com); service accounts like projects. */
const PRINCIPAL_NAME = /^[\w.@+-]{1,128}$/;
const MemberParams = ProjectParam.extend({ principal: z.string().regex(PRINCIPAL_NAME, { message: 'not a user or service account name' }) });
const Member = z
  .object({ principal: z.string(), kind: z.enum(['user', 'service']), role: Role, sources: z.array(z.enum(['manual', 'saml'])) })
  .meta({ id: 'ProjectMember' });

const AuditQuery = z
  .object({
    principal: z.string().max(63).optional(),
    action: z.string().max(100).optional().describe('exact, or a prefix ending in ".*" (e.g. instance.*)'),
    result: AuditResult.optional(),
    project: z.string().max(63).optional(),
    resourceId: z.string().max(64).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    after: z.coerce.number().int().min(0).optional().describe('entries after this sequence number'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    format: z.enum(['json', 'jsonl']).default('json').describe('jsonl: every matching entry as JSON lines (an export)'),
  })
  .strict();

/** Who am I, users and service accounts, project members, API tokens and the audit log. */
export function identityRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  const { principals, tokens, audit } = cp.identity;

  return async (app) => {
    app.get(
      '/v1/whoami',
      { config: { access: 'signed-in' }, schema: { summary: 'The signed-in principal and its roles', tags: ['identity'], response: { 200: PrincipalView, ...COMMON_ERRORS } } },
      async (req) => {
        const p = principalOf(req);
        return { ...p, roles: [...p.roles].map(([project, role]) => ({ project, role })) };
      },
    );

    app.get(
      '/v1/users',
      {
        config: { access: 'org-admin' },
        schema: { summary: 'Users and service accounts, with their roles', tags: ['identity'], response: { 200: itemsOf(UserView, 'UserList'), ...COMMON_ERRORS } },
      },
      async () => ({ items: await principals.list() }),
    );

    app.post(
      '/v1/service-accounts',
      {
        config: { access: 'org-admin', action: 'serviceaccount.create' },
        schema: { summary: 'Create a service account (a principal for machines)', tags: ['identity'], body: ServiceAccountCreate, response: { 201: UserView, ...COMMON_ERRORS } },
      },
      async (req, reply) => {
        const sa = await principals.create({ name: req.body.name, kind: 'service', displayName: req.body.displayName ?? null });
        return reply.code(201).send(await principals.view(sa));
      },
    );

    app.get(
      '/v1/projects/:project/members',
      {
        config: { access: 'viewer' },
        schema: { summary: "A project's members and their roles", tags: ['identity'], params: ProjectParam, response: { 200: itemsOf(Member, 'MemberList'), ...COMMON_ERRORS } },
      },
      async (req) => {
        requireRole(principalOf(req), req.params.project, 'viewer', () => cp.projects.notFound(req.params.project));
        const members = await principals.members(req.params.project);
        return { items: members.map((m) => ({ principal: m.principal.name, kind: m.principal.kind, role: m.role, sources: m.sources })) };
      },
    );

    app.put(
      '/v1/projects/:project/members/:principal',
      {
        config: { access: 'admin', action: 'member.bind' },
        schema: {
          summary: 'Give a user or service account a role in a project (project admins)',
          tags: ['identity'],
          params: MemberParams,
          body: z.object({ role: Role }).strict(),
          response: { 200: Member, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const { project, principal: name } = req.params;
        requireRole(principalOf(req), project, 'admin', () => cp.projects.notFound(project));
        await cp.projects.mustExist(project);
        const target = await principals.mustFindByName(name);
        await principals.bind(target.id, project, req.body.role);
        cp.identity.forgetResolved();
        const member = (await principals.members(project)).find((m) => m.principal.id === target.id)!;
        return { principal: name, kind: target.kind, role: member.role, sources: member.sources };
      },
    );

    app.delete(
      '/v1/projects/:project/members/:principal',
      {
        config: { access: 'admin', action: 'member.unbind' },
        schema: {
          summary: "Remove a hand-given role (roles from SSO groups follow the groups)",
          tags: ['identity'],
          params: MemberParams,
          response: { 200: z.object({ principal: z.string(), project: z.string(), removed: z.boolean() }), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const { project, principal: name } = req.params;
        requireRole(principalOf(req), project, 'admin', () => cp.projects.notFound(project));
        const target = await principals.mustFindByName(name);
        const removed = await principals.unbind(target.id, project);
        cp.identity.forgetResolved();
        return { principal: name, project, removed };
      },
    );

    app.post(
      '/v1/tokens',
      {
        config: { access: 'signed-in', action: 'token.create', answerSecrets: ['secret'] },
        schema: {
          summary: 'Create an API token (its secret is in this answer only)',
          tags: ['identity'],
          body: TokenCreate,
          response: { 201: TokenCreated, ...COMMON_ERRORS },
        },
      },
      async (req, reply) => {
        const caller = principalOf(req);
        let owner = await principals.get(caller.id);
        if (req.body.principal !== undefined && req.body.principal !== caller.name) {
          requireOrgAdmin(caller);
          owner = await principals.mustFindByName(req.body.principal);
        }
        if (!owner) throw new NotFoundError('your principal no longer exists: sign in again');
        return reply.code(201).send(await tokens.issue(caller, owner, req.body));
      },
    );

    app.get(
      '/v1/tokens',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'Your API tokens (an organisation admin may list anyone’s, or all)',
          tags: ['identity'],
          querystring: z.object({ principal: z.string().max(63).optional(), all: z.enum(['true', 'false']).optional() }).strict(),
          response: { 200: itemsOf(TokenView, 'TokenList'), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const caller = principalOf(req);
        if (req.query.all === 'true' || (req.query.principal !== undefined && req.query.principal !== caller.name)) {
          requireOrgAdmin(caller);
          if (req.query.all === 'true') return { items: await tokens.list() };
          return { items: await tokens.list((await principals.mustFindByName(req.query.principal!)).id) };
        }
        return { items: await tokens.list(caller.id) };
      },
    );

    app.delete(
      '/v1/tokens/:id',
      {
        config: { access: 'signed-in', action: 'token.revoke' },
        schema: {
          summary: 'Revoke an API token (it stops working at once)',
          tags: ['identity'],
          params: z.object({ id: z.string().regex(/^t-[0-9a-z]{8,32}$/, { message: 'not a token id (they look like t-…)' }) }),
          response: { 200: TokenView, ...COMMON_ERRORS },
        },
      },
      async (req) => tokens.revoke(req.params.id, principalOf(req)),
    );

    app.get(
      '/v1/audit',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'The audit log (organisation admins: everything; project admins: their projects)',
          tags: ['identity'],
          querystring: AuditQuery,
          produces: ['application/json', 'application/x-ndjson'],
          response: { 200: z.object({ items: z.array(AuditEntry), nextCursor: z.string().nullable() }).meta({ id: 'AuditPage' }), ...COMMON_ERRORS },
        },
      },
      async (req, reply) => {
        const { format, limit, after, project, ...filters } = req.query;
        const caller = principalOf(req);
        const adminOf = projectsWith(caller, 'admin');
        const projects = project !== undefined ? (adminOf === undefined || adminOf.includes(project) ? [project] : []) : adminOf;
        // Entries that belong to no project (sign-ins, tokens, settings) are for organisation admins only.
        const query = { ...filters, projects, includeUnscoped: caller.orgAdmin && project === undefined };
        if (format === 'jsonl') {
          // The untyped reply: a stream is not the page the schema describes.
          return (reply as FastifyReply).type('application/x-ndjson; charset=utf-8').send(jsonLines(audit.stream(query)));
        }
        const items = await audit.list({ ...query, after, limit });
        return { items, nextCursor: items.length === limit ? String(items[items.length - 1]!.seq) : null };
      },
    );
  };
}

/** A readable stream of JSON lines, pulled from the store page by page. */
function jsonLines(entries: AsyncIterable<unknown>): Readable {
  return Readable.from(
    (async function* () {
      for await (const e of entries) yield `${JSON.stringify(e)}\n`;
    })(),
  );
}
