import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '@xmldom/xmldom';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import {
  assertionOf,
  buildSamlResponse,
  createSigningIdentity,
  idpMetadataXml,
  mutateSamlResponse,
  signAssertion,
  signResponse,
  wrapSignedAssertion,
  type SamlResponseSpec,
  type SigningIdentity,
  type WrappingAttack,
} from '../doubles/sts/test-assertions.js';

const IDP = 'https://idp.hostile.test/saml';
const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';

/**
 * Hostile SAML against Tessera's assertion consumer service: each forged, replayed, stale, misaddressed or
 * booby-trapped response is refused, signs nobody in, creates nobody, and leaves a denied entry in the audit log.
 */
describe.each(DIALECTS)('hostile SAML responses on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;
  let idp: SigningIdentity;
  let other: SigningIdentity;

  /** A Response for Tessera's SP from the test IdP, for `name` in `groups`; unsigned until a test signs it. */
  function responseFor(name: string, spec: Partial<SamlResponseSpec> = {}, groups = ['admins']): string {
    const xml = buildSamlResponse({ issuer: IDP, roles: [], roleSessionName: null, nameId: name, recipient: `${url}/saml/acs`, audiences: [`${url}/saml/metadata`], ...spec });
    return mutateSamlResponse(xml, (response) => {
      response.setAttribute('Destination', `${url}/saml/acs`);
      const assertion = assertionOf(response);
      const doc = response.ownerDocument!;
      const statement = doc.createElementNS(SAML_NS, 'saml:AttributeStatement');
      const attribute = doc.createElementNS(SAML_NS, 'saml:Attribute');
      attribute.setAttribute('Name', 'groups');
      for (const g of groups) {
        const value = doc.createElementNS(SAML_NS, 'saml:AttributeValue');
        value.appendChild(doc.createTextNode(g));
        attribute.appendChild(value);
      }
      statement.appendChild(attribute);
      assertion.appendChild(statement);
    });
  }

  async function post(xml: string): Promise<{ status: number; body: string; cookie: string | null }> {
    const res = await fetch(`${url}/saml/acs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: Buffer.from(xml).toString('base64'), RelayState: '/v1/whoami' }),
      redirect: 'manual',
    });
    return { status: res.status, body: await res.text(), cookie: res.headers.get('set-cookie') };
  }

  async function expectRefused(xml: string, reason: RegExp, who: string): Promise<void> {
    const before = await deniedCount();
    const res = await post(xml);
    expect(res.status, res.body).toBe(401);
    expect(res.cookie).toBeNull();
    expect(JSON.parse(res.body).error.message).toMatch(reason);
    const users = JSON.parse((await t.app.inject({ method: 'GET', url: '/v1/users' })).body).items as { name: string }[];
    expect(users.map((u) => u.name)).not.toContain(who);
    const denied = await deniedEntries();
    expect(denied.length).toBe(before + 1);
    expect(denied.at(-1)!.message).toMatch(reason);
  }

  async function deniedEntries(): Promise<{ message: string }[]> {
    return JSON.parse((await t.app.inject({ method: 'GET', url: '/v1/audit?action=auth.signin&result=denied&limit=1000' })).body).items;
  }
  const deniedCount = async () => (await deniedEntries()).length;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(tdb, [simProvider('hsim')], { background: false });
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
    idp = createSigningIdentity('hostile-test-idp');
    other = createSigningIdentity('someone-else');
    const res = await t.app.inject({
      method: 'PUT',
      url: '/v1/sso',
      payload: { metadataXml: idpMetadataXml(IDP, idp.certificatePem), rules: [{ group: 'admins', project: 'default', role: 'admin' }] },
    });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('a well-formed response with a signed assertion signs its person in (the control for every case below)', async () => {
    const res = await post(signAssertion(responseFor('carol'), idp));
    expect(res.status, res.body).toBe(303);
    expect(res.cookie).toMatch(/^tessera_session=tss_.*HttpOnly.*SameSite=Lax/i);
    const signedResponse = await post(signResponse(responseFor('dave'), idp));
    expect(signedResponse.status, signedResponse.body).toBe(303);
  });

  it('refuses an unsigned response', async () => {
    await expectRefused(responseFor('mallory-unsigned'), /signature/i, 'mallory-unsigned');
  });

  it('refuses a response signed by another key, even with that key’s certificate in KeyInfo', async () => {
    await expectRefused(signAssertion(responseFor('mallory-otherkey'), other), /signature/i, 'mallory-otherkey');
  });

  it('refuses an assertion changed after signing', async () => {
    const tampered = mutateSamlResponse(signAssertion(responseFor('erin'), idp), (response) => {
      const nameId = assertionOf(response).getElementsByTagNameNS(SAML_NS, 'NameID')[0] as Element;
      nameId.textContent = 'mallory-tampered';
    });
    await expectRefused(tampered, /signature/i, 'mallory-tampered');
  });

  const attacks: WrappingAttack[] = [
    'forged-assertion-before-signed',
    'forged-assertion-after-signed',
    'signed-assertion-moved-into-extensions',
    'signed-assertion-moved-into-signature-object',
  ];
  for (const attack of attacks) {
    it(`refuses signature wrapping: ${attack}`, async () => {
      const wrapped = wrapSignedAssertion(signAssertion(responseFor('frank'), idp), attack, (forged) => {
        (forged.getElementsByTagNameNS(SAML_NS, 'NameID')[0] as Element).textContent = `mallory-${attack}`;
      });
      await expectRefused(wrapped, /signature|assertion/i, `mallory-${attack}`);
    });
  }

  it('refuses a replayed assertion: the same response signs in once', async () => {
    const once = signAssertion(responseFor('grace'), idp);
    expect((await post(once)).status).toBe(303);
    await expectRefused(once, /already used/, 'nobody-new');
  });

  it('refuses an expired assertion', async () => {
    const past = new Date(Date.now() - 3600_000);
    await expectRefused(signAssertion(responseFor('mallory-expired', { now: past }), idp), /expired|NotOnOrAfter|too old/i, 'mallory-expired');
  });

  it('refuses an assertion not yet valid (NotBefore beyond the allowed clock skew)', async () => {
    const future = new Date(Date.now() + 3600_000);
    await expectRefused(signAssertion(responseFor('mallory-future', { notBefore: future }), idp), /not yet valid|NotBefore/i, 'mallory-future');
  });

  it('refuses an assertion for another audience', async () => {
    await expectRefused(signAssertion(responseFor('mallory-aud', { audiences: ['https://other-sp.example/metadata'] }), idp), /audience/i, 'mallory-aud');
  });

  it('refuses an assertion for another recipient', async () => {
    await expectRefused(signAssertion(responseFor('mallory-rcpt', { recipient: 'https://other-sp.example/acs' }), idp), /recipient/i, 'mallory-rcpt');
  });

  it('refuses a response addressed to another destination', async () => {
    const xml = mutateSamlResponse(responseFor('mallory-dest'), (r) => r.setAttribute('Destination', 'https://other-sp.example/acs'));
    await expectRefused(signResponse(xml, idp), /addressed to/, 'mallory-dest');
  });

  it('refuses a response from another issuer', async () => {
    await expectRefused(signAssertion(responseFor('mallory-issuer', { issuer: 'https://impostor.test/saml' }), idp), /issuer/i, 'mallory-issuer');
  });

  it('refuses a response that answers a request Tessera never sent (InResponseTo)', async () => {
    const xml = mutateSamlResponse(responseFor('mallory-irt'), (r) => r.setAttribute('InResponseTo', '_never-sent'));
    await expectRefused(signResponse(xml, idp), /InResponseTo/, 'mallory-irt');
  });

  it('refuses XML with a DTD and an external entity, without reading it', async () => {
    const signed = signAssertion(responseFor('mallory-xxe'), idp);
    const withDtd = `<?xml version="1.0"?><!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${signed}`;
    await expectRefused(withDtd, /DOCTYPE/, 'mallory-xxe');
  });

  it('sends a sign-in only back to a path on this server (RelayState is never an open redirect)', async () => {
    const res = await fetch(`${url}/saml/acs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: Buffer.from(signAssertion(responseFor('heidi'), idp)).toString('base64'), RelayState: 'https://evil.example/phish' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });
});
