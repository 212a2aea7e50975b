import { inflateRawSync } from 'node:zlib';
import { SAML, ValidateInResponseTo, type Profile } from '@node-saml/node-saml';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { InvalidInputError, NotFoundError, UnauthenticatedError, UnavailableError } from '../core/errors.js';
import { roleCovers, type Role } from '../core/identity.js';
import type { Settings } from '../store/settings.js';
import type { Store } from '../store/store.js';
import { parseIdpMetadata } from './idp-metadata.js';
import type { PrincipalRecord, PrincipalService } from './principals.js';
import { SamlRequestCache } from './saml-request-cache.js';
import type { SamlSigningKey } from './saml-signing-key.js';
import type { SamlSessionInfo, SessionService } from './sessions.js';
import { SsoConfig, type GroupRule, type SsoConfigure } from './sso-config.js';

const SETTING = 'sso.config';
const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
/** An AuthnRequest must be answered within this long. */
const REQUEST_TTL_MS = 10 * 60 * 1000;
const METADATA_FETCH_TIMEOUT_MS = 10_000;
const MAX_METADATA_BYTES = 1_000_000;

/** A SAML message Tessera refused; `reason` says which check failed (for the audit log and the person). */
export class SsoRejectedError extends UnauthenticatedError {
  constructor(readonly reason: string) {
    super(`single sign-on refused: ${reason}`);
  }
}

export interface SignedIn {
  principal: PrincipalRecord;
  session: { id: string; secret: string; expiresAt: string };
  /** A path on this server to go to next (never another site). */
  returnTo: string;
  groups: string[];
}

/** Where the SP's endpoints are, derived from the server's public base URL. */
export function spUrls(baseUrl: string) {
  return { entityId: `${baseUrl}/saml/metadata`, acs: `${baseUrl}/saml/acs`, slo: `${baseUrl}/saml/slo` };
}

/**
 * SAML 2.0 single sign-on, Tessera as the service provider (node-saml does the protocol and the signature
 * checks). A sign-in creates the person on first sight, replaces the roles their IdP groups carry (a group
 * removed at the IdP is a role removed at the next sign-in), and starts a session.
 */
export class SsoService {
  private readonly requests: SamlRequestCache;

  constructor(
    private readonly store: Store,
    private readonly settings: Settings,
    private readonly principals: PrincipalService,
    private readonly sessions: SessionService,
    private readonly signingKey: () => Promise<SamlSigningKey>,
  ) {
    this.requests = new SamlRequestCache(store, REQUEST_TTL_MS);
  }

  async config(): Promise<SsoConfig | null> {
    return this.settings.get<SsoConfig>(SETTING);
  }

  async mustConfig(): Promise<SsoConfig> {
    const cfg = await this.config();
    if (!cfg) throw new NotFoundError('single sign-on is not configured: an organisation admin runs tessera sso configure --metadata <url or file>');
    return cfg;
  }

  /** Imports the IdP's metadata (given, or fetched from its URL) with the group rules; replaces any earlier setup. */
  async configure(input: SsoConfigure): Promise<SsoConfig> {
    const xml = input.metadataXml ?? (await fetchMetadata(input.metadataUrl!));
    const cfg: SsoConfig = SsoConfig.parse({
      idp: parseIdpMetadata(xml, input.entityId),
      metadataUrl: input.metadataUrl ?? null,
      groupAttribute: input.groupAttribute,
      emailAttribute: input.emailAttribute,
      displayNameAttribute: input.displayNameAttribute,
      rules: input.rules,
      requireSignedAssertions: input.requireSignedAssertions,
      clockSkewSeconds: input.clockSkewSeconds,
      sessionHours: input.sessionHours,
      updatedAt: this.store.nowIso(),
    });
    await this.settings.put(SETTING, cfg);
    return cfg;
  }

  /** Tessera's SP metadata for the IdP's administrator to register. */
  async metadata(baseUrl: string): Promise<string> {
    const key = await this.signingKey();
    const sp = await this.serviceProvider(baseUrl, (await this.config()) ?? undefined);
    return sp.generateServiceProviderMetadata(null, key.certificatePem);
  }

  /** SP-initiated sign-in: the IdP URL carrying a signed AuthnRequest (its id is kept for InResponseTo). */
  async loginUrl(baseUrl: string, returnTo: string): Promise<string> {
    const sp = await this.serviceProvider(baseUrl, await this.mustConfig());
    return sp.getAuthorizeUrlAsync(safeReturnTo(returnTo), undefined, {});
  }

  /**
   * Checks a posted SAMLResponse (SP- or IdP-initiated) and signs the person in. Every failed check throws
   * SsoRejectedError naming it; nothing is written for a refused response.
   */
  async acceptResponse(baseUrl: string, form: { SAMLResponse?: unknown; RelayState?: unknown }): Promise<SignedIn> {
    const cfg = await this.mustConfig();
    if (typeof form.SAMLResponse !== 'string' || form.SAMLResponse.length === 0) throw new SsoRejectedError('no SAMLResponse in the form');
    refuseDoctype(Buffer.from(form.SAMLResponse, 'base64').toString('utf8'));
    const sp = await this.serviceProvider(baseUrl, cfg);
    let profile: Profile | null;
    try {
      ({ profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.SAMLResponse, ...(typeof form.RelayState === 'string' ? { RelayState: form.RelayState } : {}) }));
    } catch (e) {
      throw new SsoRejectedError((e as Error).message);
    }
    if (!profile) throw new SsoRejectedError('the response signs nobody in (a logout response was posted to the sign-in endpoint)');
    const assertion = readAssertion(profile);
    // node-saml checks the issuer of logout messages only; an assertion's must be the configured IdP too.
    if (assertion.issuer !== cfg.idp.entityId) throw new SsoRejectedError(`the assertion's issuer is "${assertion.issuer}", not the configured IdP ${cfg.idp.entityId}`);
    const urls = spUrls(baseUrl);
    if (assertion.recipients.length === 0 || assertion.recipients.some((r) => r !== urls.acs)) {
      throw new SsoRejectedError(`the assertion is for another recipient (${assertion.recipients.join(', ') || 'none'}), not ${urls.acs}`);
    }
    const destination = readDestination(profile);
    if (destination !== null && destination !== urls.acs) throw new SsoRejectedError(`the response is addressed to ${destination}, not ${urls.acs}`);
    await this.rememberAssertion(assertion.id, assertion.notOnOrAfter, cfg.clockSkewSeconds);

    const name = personName(profile);
    const attr = (key: string) => values(profile[key]);
    const groups = attr(cfg.groupAttribute);
    const person = await this.principals.upsertFromSso({ name, email: attr(cfg.emailAttribute)[0] ?? null, displayName: attr(cfg.displayNameAttribute)[0] ?? null });
    const rights = rightsFromGroups(cfg.rules, groups);
    await this.principals.replaceSsoBindings(person.id, [...rights.projects].map(([project, role]) => ({ project, role })));
    // Only people who came through SSO follow the IdP's word on organisation admin; a local admin stays one.
    if (person.source === 'saml') await this.principals.setOrgAdmin(person.id, rights.orgAdmin);
    const saml: SamlSessionInfo = { nameId: profile.nameID, nameIdFormat: profile.nameIDFormat ?? null, sessionIndex: profile.sessionIndex ?? null };
    const session = await this.sessions.start(person, saml, cfg.sessionHours);
    this.sessions.forgetResolved();
    return { principal: { ...person, orgAdmin: person.source === 'saml' ? rights.orgAdmin : person.orgAdmin }, session, returnTo: safeReturnTo(form.RelayState), groups };
  }

  /** SP-initiated single logout: ends the session, and answers where to send the browser (the IdP), if anywhere. */
  async logout(baseUrl: string, sessionSecret: string | undefined): Promise<string | null> {
    if (!sessionSecret) return null;
    const saml = await this.sessions.end(sessionSecret);
    const cfg = await this.config();
    if (!saml || !cfg?.idp.sloUrl) return null;
    const sp = await this.serviceProvider(baseUrl, cfg);
    return sp.getLogoutUrlAsync(
      { issuer: cfg.idp.entityId, nameID: saml.nameId, nameIDFormat: saml.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified', sessionIndex: saml.sessionIndex ?? undefined },
      '/',
      {},
    );
  }

  /**
   * A message at the single-logout endpoint (HTTP-Redirect binding): the IdP's answer to our LogoutRequest, or
   * its own LogoutRequest (the person signed out elsewhere), which ends their sessions here and is answered.
   */
  async singleLogout(baseUrl: string, query: Record<string, string>, rawQuery: string): Promise<{ redirect: string; endedSessions: number; principalName: string | null }> {
    const cfg = await this.mustConfig();
    const sp = await this.serviceProvider(baseUrl, cfg);
    for (const field of ['SAMLRequest', 'SAMLResponse'] as const) {
      if (query[field]) refuseDoctype(inflateRedirectBinding(query[field]));
    }
    let result: { profile: Profile | null; loggedOut: boolean };
    try {
      result = await sp.validateRedirectAsync(query, rawQuery);
    } catch (e) {
      throw new SsoRejectedError((e as Error).message);
    }
    if (!result.profile) return { redirect: '/', endedSessions: 0, principalName: null };
    const ended = await this.sessions.endByNameId(result.profile.nameID, result.profile.sessionIndex ?? null);
    const redirect = await sp.getLogoutResponseUrlAsync(result.profile, query.RelayState ?? '', {}, true);
    return { redirect, endedSessions: ended, principalName: result.profile.nameID };
  }

  private async serviceProvider(baseUrl: string, cfg: SsoConfig | undefined): Promise<SAML> {
    const key = await this.signingKey();
    const urls = spUrls(baseUrl);
    return new SAML({
      issuer: urls.entityId,
      callbackUrl: urls.acs,
      logoutCallbackUrl: urls.slo,
      entryPoint: cfg?.idp.ssoUrl,
      logoutUrl: cfg?.idp.sloUrl ?? undefined,
      idpCert: cfg?.idp.signingCertificates ?? ['unconfigured'],
      idpIssuer: cfg?.idp.entityId,
      audience: urls.entityId,
      // Either the whole Response or the Assertion must carry a valid signature by the IdP's key; with
      // requireSignedAssertions, the Assertion's own.
      wantAuthnResponseSigned: false,
      wantAssertionsSigned: cfg?.requireSignedAssertions ?? false,
      acceptedClockSkewMs: (cfg?.clockSkewSeconds ?? 60) * 1000,
      // IdP-initiated responses have no InResponseTo; any that has one must answer a request we sent.
      validateInResponseTo: ValidateInResponseTo.ifPresent,
      requestIdExpirationPeriodMs: REQUEST_TTL_MS,
      cacheProvider: this.requests,
      privateKey: key.privateKeyPem,
      publicCert: key.certificatePem,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
      identifierFormat: null,
      disableRequestedAuthnContext: true,
    });
  }

  /** A replayed assertion (its id already accepted and not yet expired) signs nobody in twice. */
  private async rememberAssertion(id: string, notOnOrAfter: string | null, skewSeconds: number): Promise<void> {
    const now = Date.now();
    await this.store.db.deleteFrom('saml_seen_assertions').where('expires_at', '<', new Date(now).toISOString()).execute();
    const expires = new Date(Math.max(now, notOnOrAfter ? Date.parse(notOnOrAfter) : now + REQUEST_TTL_MS) + skewSeconds * 1000).toISOString();
    const res = await this.store.db
      .insertInto('saml_seen_assertions')
      .values({ id, expires_at: expires })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) throw new SsoRejectedError(`assertion ${id} was already used: a replayed response signs nobody in`);
  }
}

/** Project roles (the strongest per project) and organisation admin, from the groups a person is in. */
export function rightsFromGroups(rules: GroupRule[], groups: string[]): { projects: Map<string, Role>; orgAdmin: boolean } {
  const projects = new Map<string, Role>();
  let orgAdmin = false;
  for (const rule of rules) {
    if (!groups.includes(rule.group)) continue;
    if ('orgAdmin' in rule) {
      orgAdmin = true;
      continue;
    }
    const prev = projects.get(rule.project);
    if (!prev || roleCovers(rule.role, prev)) projects.set(rule.project, rule.role);
  }
  return { projects, orgAdmin };
}

/** Only a path on this server: an attacker's RelayState must not turn the sign-in into a redirect elsewhere. */
function safeReturnTo(relayState: unknown): string {
  return typeof relayState === 'string' && /^\/(?![/\\])[^\s]*$/.test(relayState) ? relayState : '/';
}

function values(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The person's lasting name: the NameID, unless it is transient (a new one each time), then uid or email. */
function personName(p: Profile): string {
  const name = p.nameIDFormat === TRANSIENT ? (values(p['uid'])[0] ?? values(p['email'])[0]) : p.nameID;
  if (!name || name.length > 128 || !/^[\w.@+-]+$/.test(name)) {
    throw new SsoRejectedError(`the IdP names the person "${String(name)}": Tessera needs a persistent NameID (or a uid attribute) of letters, digits and ._@+-`);
  }
  return name;
}

/** Facts read from the assertion node-saml verified (never from the unsigned rest of the document). */
function readAssertion(p: Profile): { id: string; issuer: string; recipients: string[]; notOnOrAfter: string | null } {
  const xml = p.getAssertionXml?.();
  if (!xml) throw new SsoRejectedError('no verified assertion');
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const assertion = doc.documentElement;
  if (!assertion || assertion.localName !== 'Assertion') throw new SsoRejectedError('no verified assertion');
  const confirmations = [...assertion.getElementsByTagNameNS(SAML_ASSERTION, 'SubjectConfirmationData')] as Element[];
  const conditions = assertion.getElementsByTagNameNS(SAML_ASSERTION, 'Conditions')[0];
  const issuer = [...assertion.childNodes].find((n) => n.nodeType === 1 && (n as Element).localName === 'Issuer' && (n as Element).namespaceURI === SAML_ASSERTION);
  return {
    id: assertion.getAttribute('ID') ?? '',
    issuer: (issuer?.textContent ?? '').trim(),
    recipients: confirmations.map((c) => c.getAttribute('Recipient') ?? ''),
    notOnOrAfter: conditions?.getAttribute('NotOnOrAfter') ?? confirmations[0]?.getAttribute('NotOnOrAfter') ?? null,
  };
}

function readDestination(p: Profile): string | null {
  const xml = p.getSamlResponseXml?.();
  if (!xml) return null;
  const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
  return root?.getAttribute('Destination') || null;
}

/** SAML messages never carry a document type declaration; one is an attack (entities, external references). */
function refuseDoctype(xml: string): void {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new SsoRejectedError('the message holds a document type declaration (<!DOCTYPE>), which SAML never needs');
}

/** The HTTP-Redirect binding's encoding: base64 of raw DEFLATE. */
function inflateRedirectBinding(value: string): string {
  try {
    return inflateRawSync(Buffer.from(value, 'base64')).toString('utf8');
  } catch {
    throw new SsoRejectedError('the SAML message is not base64-encoded DEFLATE (HTTP-Redirect binding)');
  }
}

async function fetchMetadata(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(METADATA_FETCH_TIMEOUT_MS), redirect: 'follow' });
  } catch (e) {
    throw new UnavailableError(`could not fetch the IdP metadata from ${url} (${(e as Error).message}): check the URL, or pass the file instead`);
  }
  if (!res.ok) throw new InvalidInputError(`the IdP metadata URL ${url} answered ${res.status}: check the URL, or pass the file instead`);
  const text = await res.text();
  if (text.length > MAX_METADATA_BYTES) throw new InvalidInputError(`the IdP metadata at ${url} is over 1 MB: that is not a metadata document`);
  return text;
}
