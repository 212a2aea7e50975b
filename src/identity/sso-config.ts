import { z } from 'zod';
import { NAME_PATTERN } from '../core/ids.js';
import { Role } from '../core/identity.js';

/** One mapping from an IdP group to rights in Tessera. */
export const GroupRule = z.union([
  z.object({ group: z.string().min(1).max(256), project: z.string().regex(NAME_PATTERN, { message: 'not a project name' }), role: Role }).strict(),
  z.object({ group: z.string().min(1).max(256), orgAdmin: z.literal(true) }).strict(),
]);
export type GroupRule = z.infer<typeof GroupRule>;

/** What an organisation admin sets (PUT /v1/sso; tessera sso configure). */
export const SsoConfigure = z
  .object({
    metadataXml: z.string().max(1_000_000).optional().describe('the IdP metadata document'),
    metadataUrl: z.url({ protocol: /^https?$/ }).optional().describe('or where Tessera fetches it'),
    entityId: z.string().max(1024).optional().describe('which IdP, when the metadata holds several'),
    groupAttribute: z.string().min(1).max(256).default('groups'),
    emailAttribute: z.string().min(1).max(256).default('email'),
    displayNameAttribute: z.string().min(1).max(256).default('displayName'),
    rules: z.array(GroupRule).max(500).default([]),
    /** A response whose Assertion is unsigned is refused unless the whole Response is signed; true: always require the Assertion's own signature. */
    requireSignedAssertions: z.boolean().default(false),
    clockSkewSeconds: z.number().int().min(0).max(300).default(60),
    sessionHours: z.number().int().min(1).max(168).default(12),
  })
  .strict()
  .refine((c) => (c.metadataXml === undefined) !== (c.metadataUrl === undefined), { message: 'give the IdP metadata as metadataXml or metadataUrl (one of them)' })
  .meta({ id: 'SsoConfigure' });
export type SsoConfigure = z.infer<typeof SsoConfigure>;

/** What is stored and shown: the settings and the IdP as read from its metadata. */
export const SsoConfig = z
  .object({
    idp: z.object({ entityId: z.string(), ssoUrl: z.string(), sloUrl: z.string().nullable(), signingCertificates: z.array(z.string()) }),
    metadataUrl: z.string().nullable(),
    groupAttribute: z.string(),
    emailAttribute: z.string(),
    displayNameAttribute: z.string(),
    rules: z.array(GroupRule),
    requireSignedAssertions: z.boolean(),
    clockSkewSeconds: z.number(),
    sessionHours: z.number(),
    updatedAt: z.string(),
  })
  .meta({ id: 'SsoConfig' });
export type SsoConfig = z.infer<typeof SsoConfig>;
