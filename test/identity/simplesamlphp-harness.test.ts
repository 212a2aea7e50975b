import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { FormBrowser, parseFirstForm, type Page } from '../support/form-browser.js';
import { startSimpleSamlIdp, type SimpleSamlIdp } from '../support/simplesamlphp.js';

// Proves the SimpleSAMLphp harness against the real engine, so SAML tests of Tessera's service provider can
// rely on it: an IdP-initiated login ends in the auto-POST of a signed SAMLResponse to the SP's ACS.

const SP_ENTITY_ID = 'https://tessera.test/saml/metadata';
// Nothing listens on port 9: the test reads the final auto-POST form instead of submitting it.
const SP_ACS_URL = 'http://127.0.0.1:9/saml/acs';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

describe('SimpleSAMLphp test IdP', () => {
  let idp: SimpleSamlIdp;

  beforeAll(async () => {
    idp = await startSimpleSamlIdp({
      users: [
        { username: 'alice', password: 'alice-pass', groups: ['platform-admins'], email: 'alice@tessera.test', displayName: 'Alice Admin' },
        { username: 'bob', password: 'bob-pass', groups: ['viewers'] },
      ],
      serviceProviders: [{ entityId: SP_ENTITY_ID, assertionConsumerServiceUrl: SP_ACS_URL, singleLogoutServiceUrl: 'http://127.0.0.1:9/saml/slo' }],
    });
  }, 60_000);

  afterAll(async () => {
    await idp?.stop();
  });

  it('publishes metadata with its signing certificate', async () => {
    const response = await fetch(idp.metadataUrl);
    expect(response.status).toBe(200);
    const metadata = await response.text();
    expect(metadata).toContain(`entityID="${idp.entityId}"`);
    expect(metadata).toContain(pemBody(idp.certificatePem));
    expect(metadata).toContain(`Location="${idp.ssoRedirectUrl}"`);
  });

  it('signs alice in and auto-POSTs a signed SAMLResponse with her groups to the SP', async () => {
    const browser = new FormBrowser();
    const login = await browser.get(idp.idpInitiatedLoginUrl(SP_ENTITY_ID, 'after-login'));
    expect(parseFirstForm(login.html, login.url).fields).toHaveProperty('password');

    const final = await browser.submitForm(login.html, login.url, { username: 'alice', password: 'alice-pass' });

    const post = expectAutoPostForm(final, idp);
    expect(post.action).toBe(SP_ACS_URL);
    expect(post.fields.RelayState).toBe('after-login');
    const response = decodeSamlResponse(post.fields.SAMLResponse!);
    expect(response.documentElement?.namespaceURI).toBe(SAMLP);
    expect(response.documentElement?.localName).toBe('Response');
    expect(response.documentElement?.getAttribute('Destination')).toBe(SP_ACS_URL);
    expect(the(response, SAMLP, 'StatusCode').getAttribute('Value')).toBe('urn:oasis:names:tc:SAML:2.0:status:Success');
    expect(the(response, SAML, 'Audience').textContent).toBe(SP_ENTITY_ID);
    expect(the(response, SAML, 'SubjectConfirmationData').getAttribute('Recipient')).toBe(SP_ACS_URL);
    expect(the(response, SAML, 'NameID').textContent).toBe('alice');
    expect(attributeValues(response)).toEqual({
      uid: ['alice'],
      groups: ['platform-admins'],
      email: ['alice@tessera.test'],
      displayName: ['Alice Admin'],
    });
    // By default both the response and the assertion are signed, with the key behind the published certificate.
    const signatures = elements(response, DS, 'Signature');
    expect(signatures.map((s) => (s.parentNode as Element).localName).sort()).toEqual(['Assertion', 'Response']);
    for (const signature of signatures) expectSignedBy(idp.certificatePem, signature, post.fields.SAMLResponse!);
    expect(browser.hops.map((h) => `${h.method} ${new URL(h.url).pathname} ${h.status}`)).toEqual([
      'GET /saml2/idp/SSOService.php 302',
      'GET /module.php/core/loginuserpass.php 200',
      'POST /module.php/core/loginuserpass.php 200',
    ]);
  });

  it('shows the login form again, and no SAMLResponse, after a wrong password', async () => {
    const browser = new FormBrowser();
    const login = await browser.get(idp.idpInitiatedLoginUrl(SP_ENTITY_ID));

    const retry = await browser.submitForm(login.html, login.url, { username: 'alice', password: 'bob-pass' });

    expect(retry.status).toBe(200);
    expect(retry.html).not.toContain('SAMLResponse');
    const form = parseFirstForm(retry.html, retry.url);
    expect(form.action).toBe(parseFirstForm(login.html, login.url).action);
    expect(form.fields).toHaveProperty('password', '');
  });
});

/** The page SimpleSAMLphp ends a login with: a form that its post.js clicks on load, read instead of submitted. */
function expectAutoPostForm(page: Page, idp: SimpleSamlIdp) {
  expect(page.status, idp.log()).toBe(200);
  expect(page.html, idp.log()).toContain('SAMLResponse');
  expect(page.html).toContain('<script src="/resources/post.js">');
  expect(page.html).toContain('id="postLoginSubmitButton"');
  const form = parseFirstForm(page.html, page.url);
  expect(form.method).toBe('POST');
  return form;
}

function decodeSamlResponse(base64: string): Document {
  return new DOMParser().parseFromString(Buffer.from(base64, 'base64').toString('utf8'), 'text/xml');
}

function elements(doc: Document, namespace: string, localName: string): Element[] {
  return Array.from(doc.getElementsByTagNameNS(namespace, localName));
}

/** The one element of that name; fails the test if there is none or more than one. */
function the(doc: Document, namespace: string, localName: string): Element {
  const found = elements(doc, namespace, localName);
  expect(found, `${localName} elements`).toHaveLength(1);
  return found[0]!;
}

function attributeValues(doc: Document): Record<string, string[]> {
  return Object.fromEntries(
    elements(doc, SAML, 'Attribute').map((a) => [a.getAttribute('Name'), Array.from(a.getElementsByTagNameNS(SAML, 'AttributeValue')).map((v) => v.textContent)]),
  );
}

/** Checks `signature` (in the base64 document) against the given certificate, not the one it embeds. */
function expectSignedBy(certificatePem: string, signature: Element, base64: string): void {
  const verifier = new SignedXml({ publicCert: certificatePem });
  verifier.loadSignature(signature);
  expect(verifier.checkSignature(Buffer.from(base64, 'base64').toString('utf8'))).toBe(true);
}

function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
